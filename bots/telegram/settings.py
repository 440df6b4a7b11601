"""Settings of the Telegram adapter, read from the environment and ``.env`` like the core's.

Every variable is documented in ``docs/telegram.md``. Names are a public interface: add, never rename.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.settings import SettingsError, blank_secret_is_unset

# Telegram's own rule for X-Telegram-Bot-Api-Secret-Token (Bot API, setWebhook).
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
# A bot token: "<bot id>:<secret>". Checked only for shape, so a typo fails at start-up, not later.
_BOT_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")

MB = 1_000_000


class TelegramSettings(BaseSettings):
    """Everything the Telegram adapter reads (``TELEGRAM_*``); the core's settings are separate.

    The token is optional here so that ``nemobot run`` can load these settings when only another
    platform is configured; :meth:`token` raises when it is missing.
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        frozen=True,
    )

    # From @BotFather. Never logged: PTB puts it in every request URL, so log lines are redacted.
    telegram_bot_token: SecretStr | None = None
    # A local Bot API server, in PTB's prefix form: http://127.0.0.1:8081/bot (the token is appended).
    telegram_api_base_url: str | None = None
    # Its file prefix: http://127.0.0.1:8081/file/bot (derived from the API URL when that ends in /bot).
    telegram_file_base_url: str | None = None
    # The local server's limits: 2000 MB up and no download cap; files are passed by path.
    telegram_local_mode: bool = False
    # Webhook mode when set (public HTTPS URL that reaches TELEGRAM_WEBHOOK_LISTEN:PORT); else polling.
    telegram_webhook_url: str | None = None
    # Checked on every webhook request; a random one is made at each start when empty.
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_listen: str = "0.0.0.0"  # noqa: S104 - a webhook receiver must be reachable
    telegram_webhook_port: Annotated[int, Field(ge=0, le=65535)] = 8443
    # Long-polling wait per getUpdates request.
    telegram_poll_timeout_s: Annotated[int, Field(ge=0, le=50)] = 30
    # How long the parts of an album (media group) are gathered before they go to the core as one.
    telegram_album_wait_s: Annotated[float, Field(gt=0, le=10)] = 1.0
    # Upload/download timeout for media (a 50 MB video on a slow link takes minutes).
    telegram_media_timeout_s: Annotated[float, Field(gt=0)] = 300.0
    # Sends and edits per second across all chats (Telegram's broadcast guidance is about 30).
    telegram_max_sends_per_s: Annotated[float, Field(gt=0, le=1000)] = 20.0
    # Telegram's rules of thumb: about one message (edits count) a second in a private chat, 20 a
    # minute in a group. Streamed replies edit no faster, and the pacer spaces every send by them.
    telegram_edit_interval_s: Annotated[float, Field(gt=0, le=60)] = 1.0
    telegram_group_edit_interval_s: Annotated[float, Field(gt=0, le=60)] = 3.0

    @field_validator("telegram_api_base_url", "telegram_file_base_url", "telegram_webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL")
        if _BOT_TOKEN.search(parts.path):
            raise ValueError("must not contain the bot token (PTB appends it)")
        return value

    @field_validator("telegram_bot_token", "telegram_webhook_secret")
    @classmethod
    def _blank_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return blank_secret_is_unset(value)

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("1-256 characters: letters, digits, _ and -")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _BOT_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("does not look like a bot token (<digits>:<letters>)")
        return value

    @property
    def enabled(self) -> bool:
        """Whether a token is configured (``nemobot run`` starts Telegram only then)."""
        return self.telegram_bot_token is not None

    def token(self) -> str:
        """The bot token; raises :class:`SettingsError` naming the variable when it is missing."""
        if self.telegram_bot_token is None:
            raise SettingsError("TELEGRAM_BOT_TOKEN: required to run the Telegram bot (from @BotFather)")
        return self.telegram_bot_token.get_secret_value()

    @property
    def file_base_url(self) -> str | None:
        """Where files are downloaded from: the setting, else the API URL's ``/file/bot`` twin."""
        if self.telegram_file_base_url:
            return self.telegram_file_base_url
        api = self.telegram_api_base_url
        if api and api.endswith("/bot"):
            return api[: -len("/bot")] + "/file/bot"
        return None

    @property
    def upload_cap(self) -> int:
        """The largest file the bot may send (Bot API: 50 MB; a local server: 2000 MB)."""
        return 2000 * MB if self.telegram_local_mode else 50 * MB

    @property
    def download_cap(self) -> int | None:
        """The largest file the bot can fetch with getFile (cloud: 20 MB; local: no limit)."""
        return None if self.telegram_local_mode else 20 * MB
