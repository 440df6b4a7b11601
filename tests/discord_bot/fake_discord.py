"""A protocol-level fake of Discord on 127.0.0.1: gateway WebSocket, REST API and attachment CDN.

The real discord.py client talks to it (the adapter points ``Route.BASE`` here and reads the gateway
URL from ``GET /gateway/bot``) and it fails the way Discord does: content over 2000 characters
(400), more than five sends or edits per five seconds in a channel (announced in ``X-RateLimit-*``
headers, which discord.py waits on; beyond it a 429 with ``retry_after`` and a ``Via`` header,
which discord.py sleeps out and retries), uploads over the channel's limit (413,
code 40005), interaction callbacks after 3 s (10062) or twice (40060), and webhook calls once the
interaction token expired (401, code 50027). ``token_ttl_s`` shortens Discord's 15 minutes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import WSMsgType, web

from tests.discord_bot.fake_rest import InteractionRoutes, MessageRoutes
from tests.discord_bot.fake_state import API, FakeInteraction, FakeMessage, error, json_response
from tests.discord_bot.payloads import VIEW_AND_CHAT, FakeChannel, FakeUser, Json, message_payload

BOT_TOKEN = "fake-bot-token"
GROUP = "video"


class FakeDiscord(MessageRoutes, InteractionRoutes):
    """The fake server, plus the methods tests use to act as Discord users."""

    def __init__(
        self,
        *,
        token_ttl_s: float = 900.0,
        ack_window_s: float = 3.0,
        budget: int = 5,
        budget_period_s: float = 5.0,
        ratelimit_headers: bool = True,
    ) -> None:
        super().__init__(
            token_ttl_s=token_ttl_s,
            ack_window_s=ack_window_s,
            budget=budget,
            budget_period_s=budget_period_s,
            ratelimit_headers=ratelimit_headers,
        )
        self.gateway_queries: list[dict[str, str]] = []
        self.identifies: list[Json] = []
        self._socket: web.WebSocketResponse | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._seq = 0
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Serve on a free loopback port; returns the REST base URL (``…/api/v10``)."""
        app = web.Application(middlewares=[self._auth])
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/cdn/{path:.*}", self.cdn_file)
        routes: list[tuple[str, str, Callable[[web.Request], Any]]] = [
            ("GET", "/gateway/bot", self._gateway_bot),
            ("GET", "/users/@me", self._me),
            ("GET", "/oauth2/applications/@me", self._application),
            ("PUT", "/applications/{app}/commands", self._put_commands),
            ("PUT", "/applications/{app}/guilds/{guild}/commands", self._put_commands),
            ("POST", "/interactions/{iid}/{token}/callback", self.callback),
            ("POST", "/webhooks/{app}/{token}", self.followup),
            ("PATCH", "/webhooks/{app}/{token}/messages/{mid}", self.webhook_edit),
            ("DELETE", "/webhooks/{app}/{token}/messages/{mid}", self.webhook_delete),
            ("POST", "/channels/{cid}/messages", self.create_message),
            ("PATCH", "/channels/{cid}/messages/{mid}", self.edit_message),
            ("DELETE", "/channels/{cid}/messages/{mid}", self.delete_message),
            ("POST", "/channels/{cid}/typing", self.typing),
            ("POST", "/channels/{cid}/messages/{mid}/threads", self.start_thread),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, API + path, handler)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self.base_url + API

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def gateway_url(self) -> str:
        return self.base_url.replace("http", "ws", 1) + "/gateway"

    # Gateway -----------------------------------------------------------------------------------

    async def dispatch(self, event: str, data: Json) -> None:
        """Send one gateway event to the connected client."""
        assert self._socket is not None, "no client is connected"
        self._seq += 1
        await self._socket.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.gateway_queries.append(dict(request.query))
        self._sockets.add(ws)
        try:
            # Plain text frames: discord.py only decompresses binary ones.
            await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41_250}}))
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                if message["op"] == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif message["op"] == 2:
                    self.identifies.append(message["d"])
                    self._socket = ws
                    await self._ready()
                elif message["op"] == 6:  # no resuming here: the client identifies afresh
                    await ws.send_str(json.dumps({"op": 9, "d": False}))
        finally:
            self._sockets.discard(ws)
            if self._socket is ws:
                self._socket = None
        return ws

    async def _ready(self) -> None:
        ready = {
            "v": 10,
            "user": self.bot.payload(),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self.guilds],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
        }
        shard = self.identifies[-1].get("shard") if self.identifies else None
        if shard is not None:  # a sharded client identifies with [id, count]; READY echoes it
            ready["shard"] = shard
        await self.dispatch("READY", ready)
        for guild in self.guilds:
            await self.dispatch("GUILD_CREATE", guild.payload(self.bot))

    # REST: identity and commands ---------------------------------------------------------------

    @web.middleware
    async def _auth(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        # Interaction callbacks and webhooks carry their token in the URL instead.
        path = request.path
        tokenless = (
            path.startswith((API + "/interactions/", API + "/webhooks/", "/cdn/")) or path == "/gateway"
        )
        if not tokenless and request.headers.get("Authorization") != f"Bot {BOT_TOKEN}":
            return error(401, 0, "401: Unauthorized")
        response: web.StreamResponse = await handler(request)
        return response

    async def _gateway_bot(self, _request: web.Request) -> web.Response:
        limits = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return json_response({"url": self.gateway_url, "shards": 1, "session_start_limit": limits})

    async def _me(self, _request: web.Request) -> web.Response:
        return json_response(self.bot.payload())

    async def _application(self, _request: web.Request) -> web.Response:
        owner = FakeUser(1, "owner").payload()
        app: Json = {"id": str(self.application_id), "name": "NemoBot", "description": "", "icon": None}
        app |= {"bot_public": True, "bot_require_code_grant": False, "owner": owner, "verify_key": "0" * 64}
        return json_response(app | {"flags": 0, "interactions_endpoint_url": None})

    async def _put_commands(self, request: web.Request) -> web.Response:
        guild = request.match_info.get("guild")
        scope = f"guild:{guild}" if guild else "global"
        self.command_puts.append(scope)
        extra = {
            "application_id": str(self.application_id),
            "version": "1",
            "default_member_permissions": None,
        }
        self.commands[scope] = [item | extra | {"id": str(self.ids.next())} for item in await request.json()]
        return json_response(self.commands[scope])

    # Acting as users ---------------------------------------------------------------------------

    async def user_message(
        self,
        channel: FakeChannel,
        author: FakeUser,
        content: str,
        *,
        mention: bool = False,
        attachments: Iterable[Json] = (),
        reply_to: FakeMessage | None = None,
    ) -> Json:
        """A user posts a message (``mention`` prefixes ``@NemoBot``)."""
        text = f"<@{self.bot.id}> {content}" if mention else content
        mentions = [self.bot] if mention else []  # a reply pings only when asked to
        data = message_payload(
            self.ids.next(),
            channel,
            author,
            text,
            attachments=list(attachments),
            mentions=mentions,
            reply_to=reply_to.payload if reply_to else None,
        )
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    async def slash(
        self,
        channel: FakeChannel,
        user: FakeUser,
        name: str,
        *,
        permissions: int = VIEW_AND_CHAT,
        **options: Any,
    ) -> FakeInteraction:
        """``/video <name> option:value…``; attachment options are payloads from :meth:`add_file`."""
        scope = f"guild:{channel.guild_id}"
        scope = scope if scope in self.commands else "global"
        registered = [c for c in self.commands.get(scope, []) if c["name"] == GROUP]
        values: list[Json] = []
        attachments: dict[str, Json] = {}
        for key, value in options.items():
            if isinstance(value, dict):
                attachments[value["id"]] = value
                values.append({"name": key, "type": 11, "value": value["id"]})
            else:
                values.append({"name": key, "type": 3, "value": value})
        data: Json = {
            "id": registered[0]["id"] if registered else str(self.ids.next()),
            "name": GROUP,
            "type": 1,
            "options": [{"name": name, "type": 1, "options": values}],
        }
        if attachments:
            data["resolved"] = {"attachments": attachments}
        if scope != "global":
            data["guild_id"] = str(channel.guild_id)
        return await self._interact(channel, user, 2, data, permissions)

    async def click(
        self, message: FakeMessage, user: FakeUser, custom_id: str, *, permissions: int = VIEW_AND_CHAT
    ) -> FakeInteraction:
        """A user presses a button (any ``custom_id``, also one the message never had)."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(message.channel, user, 3, data, permissions, message=message.payload)

    async def _interact(
        self,
        channel: FakeChannel,
        user: FakeUser,
        kind: int,
        data: Json,
        permissions: int,
        message: Json | None = None,
    ) -> FakeInteraction:
        interaction_id = self.ids.next()
        token = f"interaction-token-{interaction_id}"
        payload: Json = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "token": token,
            "version": 1,
            "data": data,
            "channel_id": str(channel.id),
            "channel": channel.payload(owner_id=self.bot.id),
            "app_permissions": str(VIEW_AND_CHAT),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": channel.filesize_limit,
            "context": 0 if channel.guild_id else 1,
        }
        if channel.guild_id is not None:
            payload |= {"guild_id": str(channel.guild_id), "guild_locale": "en-US"}
            payload |= {"member": user.member(permissions)}
            payload["authorizing_integration_owners"] = {"0": str(channel.guild_id)}
        else:
            payload |= {"user": user.payload(), "authorizing_integration_owners": {"1": str(user.id)}}
        if message is not None:
            payload["message"] = message
        record = FakeInteraction(interaction_id, token, channel, time.monotonic())
        self.interactions[token] = record
        await self.dispatch("INTERACTION_CREATE", payload)
        return record
