"""Telegram's errors in the core's vocabulary, translated in one place.

PTB raises ``RetryAfter`` (429), ``Forbidden`` (403), ``BadRequest`` (400), ``ChatMigrated`` and
``NetworkError``/``TimedOut``; the core understands :class:`~core.ports.PlatformRateLimited`,
:class:`~core.ports.MessageGone` and :class:`~core.ports.ChatUnavailable`. Messages are matched
case-insensitively because PTB capitalises Telegram's descriptions.
"""

from __future__ import annotations

import contextlib
import datetime as dtm
import logging
from collections.abc import Iterator

from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError

from core.metrics import METRICS
from core.ports import ChatUnavailable, MessageGone, PlatformError, PlatformRateLimited
from core.redact import redact

log = logging.getLogger(__name__)

# How long to wait before retrying after a network failure; the core keeps the text meanwhile.
TRANSIENT_RETRY_S = 2.0

_GONE = (
    "message to edit not found",
    "message can't be edited",
    "message_id_invalid",
    "message identifier is not specified",
)
_UNAVAILABLE = (
    "chat not found",
    "user not found",
    "bot was blocked",
    "bot was kicked",
    "user is deactivated",
    "have no rights",
    "not enough rights",
    "need administrator rights",
    "chat_write_forbidden",
    "message thread not found",
    "topic_closed",
    "topic_deleted",
    "group chat was upgraded",
)
_TOO_LARGE = ("too large", "too big", "entity too large")


def is_not_modified(exc: TelegramError) -> bool:
    """Telegram refuses an edit that changes nothing: for us that edit has succeeded."""
    return isinstance(exc, BadRequest) and "message is not modified" in exc.message.lower()


def is_parse_error(exc: TelegramError) -> bool:
    """The formatted (HTML) text was refused; the caller falls back to plain text."""
    return isinstance(exc, BadRequest) and "can't parse entities" in exc.message.lower()


def retry_after_seconds(exc: RetryAfter) -> float:
    """``retry_after`` as seconds, whether PTB hands out an int or (PTB_TIMEDELTA=1) a timedelta."""
    value: int | dtm.timedelta = exc.retry_after
    seconds = value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)
    return max(seconds, 0.1)


def translate(exc: TelegramError, what: str, secrets: tuple[str, ...] = ()) -> PlatformError:
    """The core's error for ``exc``; ``what`` names the call for the log (never a URL)."""
    text = exc.message.lower()
    if isinstance(exc, RetryAfter):
        METRICS.platform_rate_limited("telegram")
        return PlatformRateLimited(retry_after_seconds(exc))
    if isinstance(exc, Forbidden | ChatMigrated) or any(marker in text for marker in _UNAVAILABLE):
        return ChatUnavailable(redact(f"{what}: {exc.message}", secrets))
    if any(marker in text for marker in _GONE):
        return MessageGone(redact(f"{what}: {exc.message}", secrets))
    if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):
        if any(marker in text for marker in _TOO_LARGE):
            return PlatformError(redact(f"{what}: {exc.message}", secrets))
        # A connection problem or timeout: "try again shortly" is what the core does with a 429,
        # keeping the newest text. (A timed-out send may rarely have arrived; a lost final reply
        # would be worse than a repeated one.)
        log.info("telegram %s failed transiently: %s", what, redact(exc.message, secrets))
        return PlatformRateLimited(TRANSIENT_RETRY_S)
    return PlatformError(redact(f"{what}: {exc.message}", secrets))


@contextlib.contextmanager
def translated(what: str, secrets: tuple[str, ...] = ()) -> Iterator[None]:
    """Raise the core's error for any Telegram error inside the block, keeping the cause."""
    try:
        yield
    except TelegramError as exc:
        raise translate(exc, what, secrets) from exc
