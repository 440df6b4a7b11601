"""A fake Telegram Bot API server on 127.0.0.1 that fails the way the real one does.

It serves ``POST /bot<token>/<method>`` (form, multipart or JSON bodies, like PTB sends) and
``GET /file/bot<token>/<path>``, records every call, and enforces:

* 4096 characters per message and 1024 per caption, counted in UTF-16 units after HTML parsing
  (Telegram appears to count code points; UTF-16 is never fewer, so this is the stricter rule);
* HTML that Telegram would refuse (``can't parse entities``), and ``message is not modified``;
* the 20 MB getFile cap (``file is too big``) and the 50 MB upload cap (413);
* flood control: 429 with ``parameters.retry_after`` when a private chat goes over one message a
  second (after a burst of 5), a group over one every 3 s (after a burst of 20: "20 a minute"),
  or all chats together over 30 in any second. Sends and edits count; chat actions and callback
  answers do not.

Tests push updates with :meth:`FakeBotApi.push`; the bot long-polls them with getUpdates.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import BodyPartReader, web

from tests.fakes import SECRET
from tests.telegram.fake_html import CantParse, Entity, parse_html, utf16
from tests.telegram.fake_methods import dispatch
from tests.telegram.fake_model import ApiError, Call, Draft, Flood, StoredFile, StoredMessage

T = TypeVar("T")

TOKEN = "123456789:AAHfakeTokenForTestsOnly-0123456789ab"
BOT_ID = 123456789
BOT_USERNAME = "nemo_test_bot"
MB = 1_000_000
_JSON_FIELDS = {
    "reply_markup",
    "link_preview_options",
    "allowed_updates",
    "commands",
    "reply_parameters",
    "entities",
    "caption_entities",
    "scope",
    "reaction",
}


class FakeBotApi:
    """The fake server. ``base_url``/``file_base_url`` go to PTB's builder."""

    def __init__(self, *, token: str = TOKEN, username: str = BOT_USERNAME) -> None:
        self.token = token
        self.bot_user = {"id": BOT_ID, "is_bot": True, "first_name": "Nemo Test", "username": username}
        self.download_cap = 20 * MB
        self.upload_cap = 50 * MB
        self.flood = Flood()
        self.reject_html = False
        self.blocked_chats: set[int] = set()
        # (chat id, user id) pairs getChatMember reports as "administrator".
        self.chat_admins: set[tuple[int, int]] = set()
        # File downloads send their first bytes, then hang (a stalled CDN), while this is set.
        self.stall_downloads = False
        # Set to a directory to behave like `telegram-bot-api --local`: files by absolute path.
        self.local_dir: Path | None = None
        self.calls: list[Call] = []
        # sendMessageDraft (Bot API 9.3); False answers 404 like an older or local server.
        self.drafts_supported = True
        self.drafts: list[Draft] = []
        # setMessageReaction: chats with reactions turned off, and what each message carries.
        self.reactions_off: set[int] = set()
        self.reactions: dict[tuple[int, int], list[str]] = {}
        self.rate_limited = 0
        self.confirmed_offset = 0
        self.webhook: dict[str, Any] | None = None
        self.commands: dict[str | None, list[dict[str, str]]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], StoredMessage] = {}
        self.files: dict[str, StoredFile] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._buckets: dict[int, tuple[float, float]] = {}
        self._overall: deque[float] = deque()
        self.changed = asyncio.Condition()
        # A test may hold calls open (to kill the bot while one is in flight): ``hold(method)``
        # True keeps that call waiting until ``release()``; the held method names are recorded.
        self.hold: Callable[[str], bool] | None = None
        self.held: list[str] = []
        # deleteMessage: groups where the bot may delete others' messages, and what it deleted.
        self.admin_in: set[int] = set()
        self.deleted: list[tuple[int, int]] = []
        # Texts and captions the bot sent that carry a secret in any form (must stay empty).
        self.leaks: list[str] = []
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base = ""
        self.stopping = False

    # Lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=self.upload_cap * 2)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.2)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base = f"http://{host}:{port}"

    def release(self) -> None:
        """Let held calls (and later ones) through."""
        self.hold = None
        self._released.set()

    async def stop(self) -> None:
        self.release()
        self.stopping = True  # long polls in flight return at once
        async with self.changed:
            self.changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"{self.base}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.base}/file/bot"

    # Feeding and observing ----------------------------------------------------------------------

    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates (an ``update_id`` is assigned when missing)."""
        update.setdefault("update_id", next(self._update_ids))
        self._updates.append(update)
        self._notify()
        return int(update["update_id"])

    def redeliver(self, update: dict[str, Any]) -> None:
        """Queue an update again, as Telegram does when its confirmation was lost."""
        self._updates.append(update)
        self.confirmed_offset = min(self.confirmed_offset, int(update["update_id"]))
        self._notify()

    def confirm(self, offset: int) -> None:
        """getUpdates with ``offset``: every earlier update is forgotten."""
        if offset:
            self._updates = [u for u in self._updates if int(u["update_id"]) >= offset]
            self.confirmed_offset = max(self.confirmed_offset, offset)
            self._notify()

    def pending(self, offset: int) -> list[dict[str, Any]]:
        return [u for u in self._updates if int(u["update_id"]) >= offset]

    def go_local(self, directory: Path) -> None:
        """Act as a local Bot API server: no download cap, 2000 MB uploads, files by path."""
        self.local_dir = directory
        self.download_cap = 10**12
        self.upload_cap = 2000 * MB

    def chat_json(self, chat_id: int) -> dict[str, Any]:
        """The chat object (registered by the update builders, else a private chat or supergroup)."""
        if chat_id in self.chats:
            return self.chats[chat_id]
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "User"}
        return {"id": chat_id, "type": "supergroup", "title": "Group"}

    def add_file(
        self, data: bytes | None = None, *, size: int | None = None, name: str = "file"
    ) -> StoredFile:
        """A file users can send; ``data=None`` with a ``size`` describes a file never downloaded."""
        number = len(self.files) + 1
        stored = StoredFile(
            f"file-{number}",
            f"u{number}",
            size if size is not None else len(data or b""),
            f"docs/{number}_{name}",
            data,
        )
        self.files[stored.file_id] = stored
        return stored

    def _notify(self) -> None:
        async def wake() -> None:
            async with self.changed:
                self.changed.notify_all()

        asyncio.get_running_loop().create_task(wake())

    async def wait_for(self, predicate: Callable[[], T], within_s: float = 10.0) -> T:
        """Wait until ``predicate()`` is truthy (re-checked after every call); returns its value."""
        async with asyncio.timeout(within_s), self.changed:
            while not (value := predicate()):
                await self.changed.wait()
            return value

    async def confirmed(self, update_id: int, within_s: float = 10.0) -> None:
        """Wait until the bot has told the fake it accepted ``update_id`` (getUpdates offset past it)."""
        await self.wait_for(lambda: self.confirmed_offset > update_id, within_s)

    def sent(self, chat_id: int | None = None, *methods: str) -> list[Call]:
        """Successful calls (to ``chat_id``), by default every message-producing method."""
        wanted = methods or ("sendMessage", "editMessageText", "sendVideo")
        return [
            c
            for c in self.calls
            if c.method in wanted and c.status == 200 and (chat_id is None or c.chat_id == chat_id)
        ]

    def texts(self, chat_id: int) -> list[str]:
        """The texts of the chat's messages as they stand now (edits applied)."""
        return [m.text or "" for (chat, _id), m in sorted(self.messages.items()) if chat == chat_id]

    # HTTP --------------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        call = Call(method, {}, {}, time.monotonic())
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            call.params, call.files = await self._read(request)
            for name in ("text", "caption"):
                if SECRET.search(str(call.params.get(name) or "")):
                    self.leaks.append(f"{method}.{name}")
            if self.hold is not None and self.hold(method):
                self.held.append(method)
                self._notify()
                await self._released.wait()
            if any(size > self.upload_cap for _name, size in call.files.values()):
                raise ApiError(413, "Request Entity Too Large")
            result = await dispatch(self, call)
            body: dict[str, Any] = {"ok": True, "result": result}
        except ApiError as exc:
            call.status, call.error = exc.status, exc.description
            body = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
        except CantParse as exc:
            call.status, call.error = 400, f"Bad Request: can't parse entities: {exc}"
            body = {"ok": False, "error_code": 400, "description": call.error}
        self.calls.append(call)
        self._notify()
        return web.json_response(body, status=call.status)

    async def _read(self, request: web.Request) -> tuple[dict[str, Any], dict[str, tuple[str, int]]]:
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, int]] = {}
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is None:
                    params[part.name] = await part.text()
                    continue
                size = 0
                while chunk := await part.read_chunk(1 << 20):
                    size += len(chunk)  # read to the end, so the client always gets our answer
                files[part.name] = (part.filename, size)
        elif request.content_type == "application/json":
            params = dict(await request.json())
        elif request.can_read_body:
            params = dict(await request.post())
        else:
            params = dict(request.query)
        for name in _JSON_FIELDS & params.keys():
            if isinstance(params[name], str):
                params[name] = json.loads(params[name])
        return params, files

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        path = request.match_info["path"]
        stored = next((f for f in self.files.values() if f.path == path and f.data is not None), None)
        self.calls.append(Call("download", {"path": path}, {}, time.monotonic(), 200 if stored else 404))
        self._notify()
        if stored is None or stored.data is None:
            return web.Response(status=404, text="Not Found")
        if self.stall_downloads:
            response = web.StreamResponse(headers={"Content-Length": str(len(stored.data))})
            await response.prepare(request)
            await response.write(stored.data[:65_536])
            while not self.stopping:
                async with self.changed:
                    await self.changed.wait()
            return response
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # Rules shared by the methods -----------------------------------------------------------------

    def check_flood(self, chat_id: int) -> None:
        now = time.monotonic()
        bucket = self.flood.private if chat_id > 0 else self.flood.group
        level = 0.0
        if bucket is not None:
            burst, per_message = bucket
            before, since = self._buckets.get(chat_id, (0.0, now))
            level = max(0.0, before - (now - since) / per_message)
            if level + 1 > burst:
                self._refuse(math.ceil((level + 1 - burst) * per_message))
        if self.flood.overall is not None:
            count, window = self.flood.overall
            times = self._overall
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) >= count:
                self._refuse(math.ceil(times[0] + window - now))
            times.append(now)
        self._buckets[chat_id] = (level + 1, now)

    def _refuse(self, wait: int) -> None:
        self.rate_limited += 1
        wait = max(1, wait)
        raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    def check_chat(self, chat_id: int) -> None:
        if chat_id in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def render(
        self, text: str, parse_mode: str | None, limit: int, what: str
    ) -> tuple[str, tuple[Entity, ...]]:
        if parse_mode and parse_mode.upper() == "HTML":
            if self.reject_html:
                raise CantParse('Unsupported start tag "x" at byte offset 0')
            plain, entities = parse_html(text)
        elif parse_mode:
            raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")
        else:
            plain, entities = text, ()
        if what == "text" and not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16(plain) > limit:
            raise ApiError(
                400, f"Bad Request: message {'caption' if what == 'caption' else 'text'} is too long"
            )
        return plain, entities
