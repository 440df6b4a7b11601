"""Discord settings, read from the environment and `.env` like the core's :class:`~core.settings.Settings`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.settings import blank_secret_is_unset

PositiveSeconds = Annotated[float, Field(gt=0)]


class DiscordSettings(BaseSettings):
    """Everything the Discord adapter reads (``discord_bot_token`` is ``DISCORD_BOT_TOKEN``, …).

    ``discord_api_base_url`` points REST at another server (a proxy or a test fake, e.g.
    ``http://127.0.0.1:8080/api/v10``); the gateway URL then comes from that server's
    ``GET /gateway/bot``.
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        frozen=True,
    )

    discord_bot_token: SecretStr | None = None
    # Comma-separated guild ids: slash commands are synced to these guilds (instantly) instead
    # of globally. NoDecode: the value is "1,2", not JSON.
    discord_guild_ids: Annotated[tuple[int, ...], NoDecode] = ()
    discord_api_base_url: str | None = None
    # auto: sync only when the command tree changed; always: every start; never: leave them.
    discord_command_sync: Literal["auto", "always", "never"] = "auto"
    # Largest attachment fetched from a user, in MB (Discord lets Nitro users send up to 500 MB;
    # NEMOBOT_MAX_UPLOAD_MB still applies on top).
    discord_max_download_mb: Annotated[int, Field(ge=1)] = 500
    discord_ready_timeout_s: PositiveSeconds = 60.0
    # How long discord.py waits for more GUILD_CREATEs before "ready" (its default is 2 s).
    discord_guild_ready_timeout_s: PositiveSeconds = 2.0
    # Discord allows about 5 edits per 5 s per channel; one edit every 1.5 s leaves room for the rest.
    discord_edit_interval_s: PositiveSeconds = 1.5
    # A new request in a busy server channel opens a thread for its project (false: answer in place).
    discord_thread_per_project: bool = True
    # A quick slash answer (help, the skill list) not ready after this long is deferred
    # ("thinking…"), so Discord's 3 s acknowledgement rule holds however slow the store is.
    discord_answer_defer_s: Annotated[float, Field(gt=0, le=2.5)] = 1.5
    # A fleet splits the gateway: this process connects the shards DISCORD_SHARD_IDS ("0,1") of
    # DISCORD_SHARD_COUNT; any worker runs the resulting jobs and replies over REST. Unset: one
    # connection (discord.py's default).
    discord_shard_ids: Annotated[tuple[int, ...], NoDecode] = ()
    discord_shard_count: Annotated[int, Field(ge=1)] | None = None

    @field_validator("discord_guild_ids", "discord_shard_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            return tuple(int(part) for part in parts if part)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("discord_bot_token")
    @classmethod
    def _blank_token_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return blank_secret_is_unset(value)

    @field_validator("discord_api_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("discord_shard_count", mode="before")
    @classmethod
    def _blank_count_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _shards_fit(self) -> DiscordSettings:
        if self.discord_shard_ids and self.discord_shard_count is None:
            raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the fleet's total)")
        count = self.discord_shard_count
        if count is not None and any(not 0 <= shard < count for shard in self.discord_shard_ids):
            raise ValueError(f"DISCORD_SHARD_IDS must be between 0 and DISCORD_SHARD_COUNT - 1 ({count - 1})")
        return self

    @property
    def sharded(self) -> bool:
        """Whether this process connects only some shards of a fleet's gateway."""
        return self.discord_shard_count is not None

    @property
    def enabled(self) -> bool:
        """Whether a token is configured (the composition root starts the adapter only then)."""
        return self.discord_bot_token is not None
