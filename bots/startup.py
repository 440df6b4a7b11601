"""Start-up resilience: what is unreachable at start is retried with backoff, one log line a try.

A host starting nemobot next to its database or during a network blip should see
``PostgreSQL at … is not reachable (connection refused); retrying in 4 s``, not a traceback; and a
platform that cannot start must not keep the other one from running. Permanent errors (a rejected
token, a bad setting, a schema from a newer nemobot) are not retried: waiting would not fix them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

import psycopg
import psycopg_pool

from storage import PostgresStore, SqliteStore, StoreLocation, TokenCipher, open_location
from storage.sqlite import BUSY_TIMEOUT_MS

log = logging.getLogger(__name__)

T = TypeVar("T")

# Seconds between tries: about two minutes in all before giving up (a supervisor restarts us then).
BACKOFF_S: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 30.0, 30.0)


class StartupFailed(RuntimeError):
    """Something needed at start stayed unreachable; the message is one line for the terminal."""


class Startable(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def one_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message (libpq's are several lines long), or its type's name."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def backoff(retries: int) -> tuple[float, ...]:
    """The first ``retries`` waits of :data:`BACKOFF_S`, the last one repeated if more are asked for."""
    return tuple(BACKOFF_S[min(i, len(BACKOFF_S) - 1)] for i in range(retries))


async def retrying(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    *,
    transient: Callable[[BaseException], bool],
    delays: Sequence[float],
) -> T:
    """``attempt()``, tried again after each of ``delays`` while it fails with a transient error.

    Raises :class:`StartupFailed` (one line) once the waits are used up; a permanent error is
    raised as it is, at once.
    """
    for wait in (*delays, None):
        try:
            return await attempt()
        except Exception as exc:
            if not transient(exc):
                raise
            if wait is None:
                tries = len(delays) + 1
                raise StartupFailed(
                    f"{what} is not reachable ({one_line(exc)}); "
                    f"gave up after {tries} {'try' if tries == 1 else 'tries'}"
                ) from None
            log.warning("%s is not reachable (%s); retrying in %g s", what, one_line(exc), wait)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")  # the loop returns or raises


def _store_unreachable(exc: BaseException) -> bool:
    return isinstance(exc, psycopg.OperationalError | psycopg_pool.PoolTimeout | OSError)


async def open_store_retrying(
    location: StoreLocation,
    cipher: TokenCipher,
    *,
    retries: int = len(BACKOFF_S),
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
) -> SqliteStore | PostgresStore:
    """Open the store at ``location``, retrying an unreachable database server with backoff."""
    return await retrying(
        location.describe(),
        lambda: open_location(location, cipher=cipher, busy_timeout_ms=busy_timeout_ms),
        transient=_store_unreachable,
        delays=backoff(retries) if location.postgres_url else (),
    )


async def start_each(
    factories: dict[str, Callable[[], Startable]],
    *,
    permanent: Callable[[BaseException], bool],
    retries: int = len(BACKOFF_S),
) -> dict[str, Startable]:
    """Start every platform at once, each retried on its own; return those that started.

    A platform that fails for good is logged in one line and left out, so the others still run.
    Each try builds a fresh adapter: one that failed half-way has stopped itself and is not reused.
    """

    async def start(name: str, factory: Callable[[], Startable]) -> Startable:
        async def attempt() -> Startable:
            adapter = factory()
            await adapter.start()
            return adapter

        return await retrying(
            name, attempt, transient=lambda exc: not permanent(exc), delays=backoff(retries)
        )

    names = list(factories)
    results = await asyncio.gather(*(start(name, factories[name]) for name in names), return_exceptions=True)
    started: dict[str, Startable] = {}
    for name, result in zip(names, results, strict=True):
        if isinstance(result, BaseException):
            if not isinstance(result, Exception):
                raise result  # cancellation and exits are not start-up failures
            log.error("%s did not start: %s", name, one_line(result))
        else:
            started[name] = result
    return started
