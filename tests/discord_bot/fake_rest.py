"""The fake Discord's REST routes for channel messages, the CDN and interactions."""

from __future__ import annotations

import time

from aiohttp import web

from tests.discord_bot.fake_state import FakeInteraction, FakeState, error, json_response
from tests.discord_bot.payloads import Json, message_payload


class MessageRoutes(FakeState):
    """``/channels/{id}/messages``, typing and the attachment CDN."""

    async def create_message(self, request: web.Request) -> web.Response:
        channel = self.channels.get(int(request.match_info["cid"]))
        if channel is None:
            return error(404, 10003, "Unknown Channel")
        payload, files = await self.read_body(request)
        if problem := self.check_content(payload):
            return problem
        if any(size > channel.filesize_limit for _name, size in files):
            self.rejected.append(("file over the channel limit", max(size for _name, size in files)))
            return error(413, 40005, "Request entity too large")
        limited, headers = self.spend(channel.id)
        if limited is not None:
            return limited
        message = await self.store_message(channel, payload, files)
        return json_response(message.payload, headers=headers)

    async def edit_message(self, request: web.Request) -> web.Response:
        message = self.messages.get(int(request.match_info["mid"]))
        if message is None or message.deleted:
            return error(404, 10008, "Unknown Message")
        payload, _files = await self.read_body(request)
        if problem := self.check_content(payload):
            return problem
        limited, headers = self.spend(message.channel.id)
        if limited is not None:
            return limited
        if "content" in payload:
            message.payload["content"] = payload["content"] or ""
        if "components" in payload:
            message.payload["components"] = payload["components"] or []
        if "embeds" in payload:
            message.payload["embeds"] = payload["embeds"] or []
            message.embed_history.append(list(message.payload["embeds"]))
        message.payload["edited_timestamp"] = message.payload["timestamp"]
        message.history.append((time.monotonic(), message.content))
        await self.notify()
        return json_response(message.payload, headers=headers)

    async def delete_message(self, request: web.Request) -> web.Response:
        message_id = int(request.match_info["mid"])
        self.deleted.append(message_id)
        if message_id in self.messages:
            self.messages[message_id].deleted = True
        await self.notify()
        return web.Response(status=204)

    async def start_thread(self, request: web.Request) -> web.Response:
        """Start a public thread on a message; the bot owns it (Discord also sends THREAD_CREATE)."""
        channel = self.channels.get(int(request.match_info["cid"]))
        if channel is None or channel.guild_id is None or channel.parent_id is not None:
            return error(400, 50024, "Cannot execute action on this channel type")
        if self.threads_forbidden:
            return error(403, 50013, "Missing Permissions")
        payload, _files = await self.read_body(request)
        name = str(payload.get("name") or "")
        if not 1 <= len(name) <= 100:
            return error(400, 50035, "Invalid Form Body: name")
        guild = next(g for g in self.guilds if g.id == channel.guild_id)
        thread = self.add_channel(guild, name, parent=channel)
        self.threads_started.append((int(request.match_info["mid"]), thread))
        data = thread.payload(owner_id=self.bot.id)
        # As on Discord, the gateway tells the bot about its new thread, so it knows it owns it.
        await self.dispatch("THREAD_CREATE", data | {"newly_created": True})
        await self.notify()
        return json_response(data)

    async def typing(self, request: web.Request) -> web.Response:
        self.typing_calls[int(request.match_info["cid"])] += 1
        await self.notify()
        return web.Response(status=204)

    async def cdn_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        self.cdn_hits[path] += 1
        if path not in self.cdn:
            return web.Response(status=404)
        return web.Response(body=self.cdn[path], content_type="application/octet-stream")


def _custom_ids(payload: Json) -> list[str]:
    rows = payload.get("components") or []
    return [item["custom_id"] for row in rows for item in row.get("components", [])]


class InteractionRoutes(FakeState):
    """Interaction callbacks (3-second window) and the webhook routes behind the 15-minute token."""

    def _by_token(self, token: str) -> FakeInteraction | web.Response:
        interaction = self.interactions.get(token)
        if interaction is None:
            return error(404, 10015, "Unknown Webhook")
        if time.monotonic() - interaction.created > self.token_ttl_s:
            interaction.expired_calls += 1
            return error(401, 50027, "Invalid Webhook Token")
        return interaction

    async def callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(request.match_info["token"])
        if interaction is None or str(interaction.id) != request.match_info["iid"]:
            return error(404, 10062, "Unknown interaction")
        now = time.monotonic()
        if now - interaction.created > self.ack_window_s:
            return error(404, 10062, "Unknown interaction")
        if interaction.ack_type is not None:
            return error(400, 40060, "Interaction has already been acknowledged.")
        body = await request.json()
        data = body.get("data") or {}
        interaction.ack_type, interaction.ack_at = body["type"], now
        interaction.ack_flags = int(data.get("flags") or 0)
        if body["type"] == 4:
            interaction.original = data.get("content")
            interaction.original_ids = _custom_ids(data)
            self.check_content(data)  # records a leaked secret; the answer itself is accepted
        await self.notify()
        state = {
            "id": str(interaction.id),
            "type": 2,
            "response_message_loading": body["type"] == 5,
            "response_message_ephemeral": bool(interaction.ack_flags & 64),
        }
        return json_response({"interaction": state})

    async def followup(self, request: web.Request) -> web.Response:
        found = self._by_token(request.match_info["token"])
        if isinstance(found, web.Response):
            return found
        payload, files = await self.read_body(request)
        if problem := self.check_content(payload):
            return problem
        flags = int(payload.get("flags") or 0)
        message = await self.store_message(found.channel, payload, files, flags=flags)
        found.followups.append(message)
        await self.notify()
        return json_response(message.payload)

    async def webhook_delete(self, request: web.Request) -> web.Response:
        found = self._by_token(request.match_info["token"])
        if isinstance(found, web.Response):
            return found
        if request.match_info["mid"] == "@original":
            found.original_deleted = True
        await self.notify()
        return web.Response(status=204)

    async def webhook_edit(self, request: web.Request) -> web.Response:
        found = self._by_token(request.match_info["token"])
        if isinstance(found, web.Response):
            return found
        payload, _files = await self.read_body(request)
        if problem := self.check_content(payload):
            return problem
        if request.match_info["mid"] == "@original":
            found.original = payload.get("content")
            found.original_ids = _custom_ids(payload)
            data = message_payload(found.id, found.channel, self.bot, found.original or "")
        else:
            message = self.messages[int(request.match_info["mid"])]
            message.payload["content"] = payload.get("content") or ""
            message.history.append((time.monotonic(), message.content))
            data = message.payload
        await self.notify()
        return json_response(data)
