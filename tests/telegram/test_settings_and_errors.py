"""TELEGRAM_* settings, and Telegram's errors in the core's vocabulary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bots.telegram.errors import is_not_modified, is_parse_error, translate
from bots.telegram.settings import TelegramSettings
from core.ports import ChatUnavailable, MessageGone, PlatformError, PlatformRateLimited
from core.settings import SettingsError
from tests.telegram.fake_bot_api import TOKEN


def test_settings_come_from_the_environment_with_local_mode_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """TELEGRAM_LOCAL_MODE lifts the caps to 2000 MB up and no download cap."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot/")
    monkeypatch.setenv("TELEGRAM_LOCAL_MODE", "true")
    settings = TelegramSettings(_env_file=None)
    assert settings.enabled
    assert settings.token() == TOKEN
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.file_base_url == "http://127.0.0.1:8081/file/bot", "derived from the API URL"
    assert (settings.upload_cap, settings.download_cap) == (2_000_000_000, None)
    cloud = TelegramSettings(_env_file=None, telegram_local_mode=False)
    assert (cloud.upload_cap, cloud.download_cap) == (50_000_000, 20_000_000)


def test_a_missing_token_names_the_variable_only_when_the_bot_must_run() -> None:
    """Loading without a token is fine (another platform may run); asking for it is not."""
    settings = TelegramSettings(_env_file=None)
    assert not settings.enabled
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        settings.token()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("telegram_api_base_url", "ftp://x"),
        ("telegram_api_base_url", f"http://127.0.0.1/bot{TOKEN}"),
        ("telegram_webhook_secret", "has spaces"),
        ("telegram_bot_token", "not-a-token"),
        ("telegram_webhook_port", "70000"),
    ],
    ids=["not-http", "token-in-url", "secret-shape", "token-shape", "port-range"],
)
def test_bad_values_are_refused_naming_the_variable(name: str, value: str) -> None:
    """Each bad variable is named in the error, and the token never appears in it."""
    values: dict[str, Any] = {name: value}
    with pytest.raises(ValidationError) as caught:
        TelegramSettings(_env_file=None, **values)
    assert [error["loc"] for error in caught.value.errors()] == [(name,)]
    assert TOKEN.split(":")[1] not in str(caught.value)


# Built lazily: constructing RetryAfter warns unless PTB_TIMEDELTA is set (by a fixture, after collection).
@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: RetryAfter(3), PlatformRateLimited),
        (lambda: Forbidden("Forbidden: bot was blocked by the user"), ChatUnavailable),
        (lambda: ChatMigrated(-1001), ChatUnavailable),
        (lambda: BadRequest("Chat not found"), ChatUnavailable),
        (lambda: BadRequest("Message thread not found"), ChatUnavailable),
        (lambda: BadRequest("Message to edit not found"), MessageGone),
        (lambda: BadRequest("Message can't be edited"), MessageGone),
        (lambda: TimedOut(), PlatformRateLimited),
        (lambda: NetworkError("httpx.ConnectError"), PlatformRateLimited),
        (lambda: NetworkError("Request Entity Too Large"), PlatformError),
        (lambda: BadRequest("Wrong file identifier"), PlatformError),
    ],
    ids=[
        "429",
        "blocked",
        "migrated",
        "chat-not-found",
        "thread-not-found",
        "edit-not-found",
        "cant-edit",
        "timed-out",
        "connect-error",
        "too-large",
        "other-bad-request",
    ],
)
def test_telegram_errors_become_the_cores(
    make: Callable[[], TelegramError], expected: type[PlatformError]
) -> None:
    """429 waits, 403/gone chats stop, lost messages are re-sent, blips retry, the rest is reported."""
    error = make()
    translated = translate(error, "sendMessage", (TOKEN,))
    assert type(translated) is expected
    if isinstance(error, RetryAfter):
        assert isinstance(translated, PlatformRateLimited)
        assert translated.retry_after == 3


def test_not_modified_and_parse_errors_are_recognised_whatever_the_case() -> None:
    """PTB capitalises Telegram's descriptions; matching ignores case."""
    assert is_not_modified(BadRequest("Message is not modified: specified new message content ..."))
    assert is_parse_error(BadRequest("Can't parse entities: unsupported start tag"))
    assert not is_not_modified(BadRequest("Message to edit not found"))
