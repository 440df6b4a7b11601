"""The Discord adapter's lifecycle: log in, attach to the core, connect, sync commands, stop.

discord.py has no base-URL option; ``DISCORD_API_BASE_URL`` (for proxies and the test fake)
sets the two class attributes every request and the first gateway connection read,
``discord.http.Route.BASE`` and ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``. They are
process-wide, so they are restored on :meth:`DiscordAdapter.stop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bots.discord_bot.commands import build_group
from bots.discord_bot.files import AttachmentFetcher, AttachmentUnavailable
from bots.discord_bot.interactions import InteractionRouter
from bots.discord_bot.mapping import PLATFORM, message_to_inbound
from bots.discord_bot.outbound import DiscordOutbound
from bots.discord_bot.settings import DiscordSettings
from bots.discord_bot.sync import CommandSync
from bots.discord_bot.threads import ProjectThreads
from bots.discord_bot.translator import CommandTranslator
from bots.discord_bot.views import ActionButtons, action_for
from core.chat import ChatKey
from core.i18n import t
from core.inbound import Core, CoreUnavailable
from core.ports import PlatformError

log = logging.getLogger(__name__)


class DiscordStartError(RuntimeError):
    """The adapter could not log in or reach the gateway (bad token, missing intents, timeout)."""


class _Client(discord.Client):
    """discord.Client with the adapter's event handlers; all logic stays in the adapter."""

    def __init__(self, adapter: DiscordAdapter, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.adapter = adapter

    async def setup_hook(self) -> None:
        # Before the gateway connects, so a click that arrives right after a restart is routed.
        self.add_view(ActionButtons(self.adapter.router.press))

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.on_message(message)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.adapter.on_interaction(interaction)


class _ShardedClient(_Client, discord.AutoShardedClient):
    """The same client connecting only this process's shards (``DISCORD_SHARD_IDS``) of a fleet."""


class DiscordAdapter:
    """Runs one Discord bot for the core's door (platform name ``discord``)."""

    def __init__(self, core: Core, settings: DiscordSettings, *, data_dir: Path) -> None:
        self.core = core
        self.settings = settings
        self.data_dir = data_dir
        self.fetcher = AttachmentFetcher()
        # The bot never joins voice: skip discord.py's start-up warnings about voice libraries.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        client_class: type[_Client] = _Client
        shards: dict[str, object] = {}
        if settings.sharded:
            client_class = _ShardedClient
            shards = {"shard_count": settings.discord_shard_count}
            if settings.discord_shard_ids:
                shards["shard_ids"] = list(settings.discord_shard_ids)
        self.client = client_class(
            self,
            **shards,
            intents=self.intents(),
            guild_ready_timeout=settings.discord_guild_ready_timeout_s,
            # No message cache: a reply carries the message it answers in its own payload.
            max_messages=None,
        )
        self.outbound = DiscordOutbound(
            self.client,
            download_cap=settings.discord_max_download_mb * 1_000_000,
            edit_interval_s=settings.discord_edit_interval_s,
        )
        self.threads = ProjectThreads(enabled=settings.discord_thread_per_project)
        self.router = InteractionRouter(
            core, self.outbound, self._open_attachment, defer_after_s=settings.discord_answer_defer_s
        )
        self.tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(self.client)
        self.tree.error(self.router.tree_error)
        guilds = [discord.Object(guild_id) for guild_id in settings.discord_guild_ids]
        if guilds:
            self.tree.add_command(build_group(self.router), guilds=guilds)
        else:
            self.tree.add_command(build_group(self.router))
        self._connection: asyncio.Task[None] | None = None
        self._saved_routes: tuple[str, yarl.URL] | None = None

    @staticmethod
    def intents() -> discord.Intents:
        """Guilds, guild and DM messages, and message content (privileged: enable it in the portal)."""
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.dm_messages = True
        intents.message_content = True
        return intents

    async def start(self) -> None:
        """Log in, attach to the core, connect, wait until ready, and sync commands if changed."""
        token = self.settings.discord_bot_token
        if token is None:
            raise DiscordStartError("DISCORD_BOT_TOKEN is not set")
        self._point_at(self.settings.discord_api_base_url)
        await self.fetcher.start()
        try:
            try:
                await self.client.login(token.get_secret_value())
            except discord.LoginFailure as exc:
                raise DiscordStartError("Discord refused DISCORD_BOT_TOKEN") from exc
            if self.settings.discord_api_base_url is not None:
                _shards, url, _limits = await self.client.http.get_bot_gateway()
                DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
            user = self.client.user
            assert user is not None  # set by login()
            # Attached before connecting, so no message that arrives first is dropped.
            self.core.attach(PLATFORM, self.outbound, bot_username=user.name)
            self._connection = asyncio.create_task(
                self.client.connect(reconnect=True), name="discord-gateway"
            )
            await self._wait_ready()
            application_id = self.client.application_id
            assert application_id is not None  # set by login()
            # Chinese command names and descriptions for Chinese clients (before the hash is taken).
            await self.tree.set_translator(CommandTranslator())
            await CommandSync(self.tree, self.data_dir).run(
                application_id, self.settings.discord_guild_ids, mode=self.settings.discord_command_sync
            )
        except BaseException:
            await self.stop()
            raise
        log.info("discord adapter ready as %s", user)

    async def _wait_ready(self) -> None:
        connection = self._connection
        assert connection is not None
        ready = asyncio.create_task(self.client.wait_until_ready())
        try:
            done, _pending = await asyncio.wait(
                {ready, connection},
                timeout=self.settings.discord_ready_timeout_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            ready.cancel()
        if connection in done:
            error = connection.exception()
            if isinstance(error, discord.PrivilegedIntentsRequired):
                raise DiscordStartError(
                    "turn on Message Content Intent (Developer Portal → Bot → Privileged Gateway Intents)"
                ) from error
            raise DiscordStartError(f"the gateway connection ended: {error!r}") from error
        if ready not in done:
            raise DiscordStartError("Discord did not become ready in time")

    def is_up(self) -> bool:
        """For ``/healthz``: logged in and connected to the gateway."""
        return self.client.is_ready() and not self.client.is_closed()

    async def stop(self) -> None:
        """Finish handing over interactions, disconnect, and restore discord.py's URLs."""
        await self.router.drain()
        if not self.client.is_closed():
            await self.client.close()
        if self._connection is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._connection
            self._connection = None
        await self.fetcher.close()
        self._point_at(None)

    def _point_at(self, base_url: str | None) -> None:
        if base_url is not None and self._saved_routes is None:
            self._saved_routes = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
            Route.BASE = base_url
        elif base_url is None and self._saved_routes is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved_routes
            self._saved_routes = None

    # Events ------------------------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        user = self.client.user
        if user is None:
            return
        self.threads.observe(message)
        inbound = message_to_inbound(message, user.id, self._open_attachment)
        if inbound is None or not inbound.addressed:
            return
        inbound = await self.threads.route(message, inbound)
        try:
            await self.core.receive(inbound)
        except CoreUnavailable as exc:
            # Discord does not redeliver a message: the sender must hear it was not taken.
            log.warning("message %s in %s was not stored", inbound.message_id, inbound.chat)
            await self._notify(inbound.chat, exc.notice)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Known button ids are routed by the persistent view; anything else gets a short answer
        # instead of Discord's "This interaction failed".
        if interaction.type is not discord.InteractionType.component:
            return
        data: dict[str, object] = dict(interaction.data or {})
        custom_id = data.get("custom_id")
        if not isinstance(custom_id, str) or action_for(custom_id) is None:
            await self.router.stale_button(interaction)

    # Helpers -----------------------------------------------------------------------------------

    async def _open_attachment(self, chat: ChatKey, attachment: discord.Attachment) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.fetcher.open(attachment):
                yield chunk
        except AttachmentUnavailable as exc:
            log.info("attachment %s in %s unavailable: %s", attachment.id, chat, exc)
            lang = await self.core.language(chat)
            await self._notify(chat, t(lang, "download_failed", name=attachment.filename))
            raise

    async def _notify(self, chat: ChatKey, text: str) -> None:
        try:
            await self.outbound.send_text(chat, text)
        except PlatformError as exc:
            log.info("could not tell %s: %s", chat, exc)
