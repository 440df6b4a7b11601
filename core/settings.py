"""Typed settings read from the environment and `.env`.

Every variable is documented in `.env.example`. The names are a public interface that deployments depend
on: add new ones, never rename. A bad value is a start-up error that names the variable.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.skills import PROFILES, find_profile

PositiveSeconds = Annotated[float, Field(gt=0)]


def blank_secret_is_unset(value: SecretStr | None) -> SecretStr | None:
    """An empty or whitespace secret (``TOKEN=`` in a .env file) means "not set"; others are trimmed."""
    if value is None or not value.get_secret_value().strip():
        return None
    return SecretStr(value.get_secret_value().strip())


class SettingsError(ValueError):
    """The configuration cannot be used; the message names each offending variable."""


class Settings(BaseSettings):
    """Everything nemobot reads from its environment.

    Field names map to upper-case environment variables of the same name (``nemo_api_url`` is
    ``NEMO_API_URL``).
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        frozen=True,
    )

    # NemoVideo backend
    nemo_api_url: str = "https://mega-api-prod.nemovideo.ai"
    nemo_web_url: str = "https://nemovideo.com"
    nemo_token: SecretStr | None = None
    nemo_skill: str = "nemo-video"
    nemo_skill_platform: str = "unknown"

    # Timing knobs, in seconds (defaults follow the NemoVideo skills)
    nemo_rate_limit_wait_s: PositiveSeconds = 30.0
    nemo_sse_max_s: PositiveSeconds = 900.0
    # Heartbeats mean "still processing" (the skills), so by default only the 15-minute cap ends a
    # stream that keeps sending them; a shorter value restores the older 10-minute cut-off.
    nemo_sse_idle_timeout_s: PositiveSeconds = 900.0
    # 8 s: a 5–60 s render reaches the chat in ~4 s median at one poll per ~5.6 s (bench.export_lag).
    nemo_render_poll_max_s: PositiveSeconds = 8.0
    nemo_http_timeout_s: PositiveSeconds = 30.0
    nemobot_still_working_s: PositiveSeconds = 120.0
    # A reply that took this long ends as a new message replying to the asker (a notification).
    nemobot_notify_after_s: PositiveSeconds = 8.0
    # After a dropped stream: first state read, then the gap between reads, and how many reads
    # without change before giving up (30 s, then 60 s, up to 5, as the skills recommend).
    nemobot_recovery_first_s: PositiveSeconds = 30.0
    nemobot_recovery_next_s: PositiveSeconds = 60.0
    nemobot_recovery_polls: Annotated[int, Field(ge=1, le=50)] = 5
    nemobot_render_max_s: PositiveSeconds = 1800.0
    # The backend's upload limit is undocumented; 500 MB is the figure one source gives.
    nemobot_max_upload_mb: Annotated[int, Field(ge=1)] = 500

    # Access and credit protection. IDs are platform-qualified: telegram:12345 (a user or a chat),
    # discord:678 … Empty NEMOBOT_ALLOWED means open to everyone.
    nemobot_allowed: str = ""
    nemobot_admins: str = ""
    # With a shared operator NEMO_TOKEN: chat turns per user and per chat per UTC day (0 = no cap),
    # and messages per user per minute.
    nemobot_turns_per_day: Annotated[int, Field(ge=0)] = 50
    nemobot_chat_turns_per_day: Annotated[int, Field(ge=0)] = 200
    nemobot_messages_per_minute: Annotated[int, Field(ge=0)] = 20
    # Key for tokens at rest (Fernet, urlsafe base64 of 32 bytes); generated into the data dir if unset.
    nemobot_secret_key: SecretStr | None = None
    # Hosts the bot may download from although they resolve to private or local addresses (a CDN
    # on the operator's network); NEMO_API_URL's host is always trusted.
    nemobot_trusted_hosts: str = ""

    # nemobot itself
    nemobot_data_dir: Path = Path("./data")
    # How long a database write waits for another connection's lock before the event is refused
    # (and, on Telegram, left unconfirmed so it comes again).
    nemobot_db_busy_timeout_s: Annotated[float, Field(gt=0, le=120)] = 5.0
    nemobot_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # "text" for people, "json" (one object per line) for a host's log collector.
    nemobot_log_format: Literal["text", "json"] = "text"
    # /healthz and /metrics on this port (0 = off). Bound to NEMOBOT_OPS_HOST.
    nemobot_ops_port: Annotated[int, Field(ge=0, le=65535)] = 0
    nemobot_ops_host: str = "127.0.0.1"
    # Tries again (with backoff, about 2 minutes for 8) when the database or a platform is unreachable
    # at start; 0 = fail at once.
    nemobot_start_retries: Annotated[int, Field(ge=0, le=100)] = 8

    # Storage: empty = SQLite in NEMOBOT_DATA_DIR; postgresql://user:pass@host/db; sqlite:///path.db.
    # A secret (it may hold a password).
    database_url: SecretStr | None = None

    # A fleet (several `nemobot run` on one PostgreSQL, see core/leases.py): this worker's name in the
    # store (empty: host:pid), how long a chat stays this worker's without a renewal (a dead worker's
    # chats are taken over after it), and how often the worker looks for work stored by others.
    nemobot_worker_id: str = ""
    nemobot_lease_s: Annotated[float, Field(ge=1, le=600)] = 30.0
    nemobot_poll_s: Annotated[float, Field(gt=0, le=60)] = 1.0

    @field_validator("nemo_api_url", "nemo_web_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("nemo_skill")
    @classmethod
    def _known_skill(cls, value: str) -> str:
        # The same names and aliases as /skill; traffic is attributed to the canonical name.
        profile = find_profile(value)
        if profile is None:
            raise ValueError(f"unknown skill {value.strip()!r}; valid: {', '.join(PROFILES)}")
        return profile.name

    @field_validator("nemo_token")
    @classmethod
    def _blank_token_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return blank_secret_is_unset(value)

    @field_validator("database_url")
    @classmethod
    def _store_url(cls, value: SecretStr | None) -> SecretStr | None:
        value = blank_secret_is_unset(value)
        if value is not None and not value.get_secret_value().lower().startswith(
            ("postgresql://", "postgres://", "sqlite:///")
        ):
            raise ValueError("must start with postgresql:// or sqlite:/// (the value is not shown)")
        return value

    @field_validator("nemobot_allowed", "nemobot_admins")
    @classmethod
    def _qualified_ids(cls, value: str) -> str:
        for item in parse_ids(value):
            platform, _, ident = item.partition(":")
            if not platform or not ident:
                raise ValueError(f"{item!r} is not platform-qualified (e.g. telegram:12345)")
        return value

    @field_validator("nemobot_secret_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        try:
            raw = base64.urlsafe_b64decode(value.get_secret_value().strip().encode())
        except (ValueError, binascii.Error):
            raw = b""
        if len(raw) != 32:
            # The message must not echo the value: it is a secret.
            raise ValueError(
                "must be 32 url-safe base64-encoded bytes (generate one with Fernet.generate_key())"
            )
        return SecretStr(value.get_secret_value().strip())

    @field_validator("nemobot_log_level", "nemobot_log_format", mode="before")
    @classmethod
    def _case(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return value.upper() if info.field_name == "nemobot_log_level" else value.lower()


def parse_ids(value: str) -> frozenset[str]:
    """``"telegram:1, discord:2"`` → ``{"telegram:1", "discord:2"}`` (blank items ignored)."""
    return frozenset(item.strip() for item in value.replace(";", ",").split(",") if item.strip())


def settings_error(exc: ValidationError) -> SettingsError:
    """One readable error naming each offending variable (never its value: it may be a secret)."""
    problems = []
    for error in exc.errors():
        variable = ".".join(str(part) for part in error["loc"]).upper() or "settings"
        problems.append(f"{variable}: {error['msg']}")
    return SettingsError("Invalid configuration:\n  " + "\n  ".join(problems))


def load_settings(**overrides: object) -> Settings:
    """Build :class:`Settings`, turning validation errors into one readable :class:`SettingsError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise settings_error(exc) from exc
