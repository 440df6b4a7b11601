"""One retry policy for transient platform hiccups, on stamina.

A platform that asks us to slow down (Telegram's RetryAfter, Discord's 429) says for how long: that
wait is used as the backoff. Nothing here ever re-sends a chat turn to the backend; turns are
recovered by reading state (see :mod:`core.turns`).
"""

from __future__ import annotations

from core.ports import ChatUnavailable, PlatformError, PlatformRateLimited

# Sends and final edits are tried this often before the reply is given up (and logged).
PLATFORM_ATTEMPTS = 5
# An unexplained platform failure of a final reply is tried again after about this long.
_UNEXPLAINED_WAIT_S = 1.0


def rate_limit_wait(exc: Exception) -> bool | float:
    """Retry only what the platform rate-limited, after the wait it asked for."""
    return exc.retry_after if isinstance(exc, PlatformRateLimited) else False


def transient_wait(exc: Exception) -> bool | float:
    """Retry a rate limit after its wait and any other platform failure (but a gone chat) soon."""
    if isinstance(exc, PlatformRateLimited):
        return exc.retry_after
    if isinstance(exc, PlatformError) and not isinstance(exc, ChatUnavailable):
        return _UNEXPLAINED_WAIT_S
    return False
