"""Builders for the updates Telegram clients produce, pushed into the fake Bot API."""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_html import utf16

Json = dict[str, Any]

ADA: Json = {"id": 1001, "is_bot": False, "first_name": "Ada", "last_name": "L", "language_code": "en"}
_MENTION = re.compile(r"@[A-Za-z0-9_]{3,32}")
_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
KINDS = ("video", "audio", "voice", "video_note", "photo", "document", "animation")


def person(user_id: int, *, name: str = "User", language: str = "en") -> Json:
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": language}


def _entities(text: str) -> list[Json]:
    """What Telegram's servers mark up in a plain message: a leading command and @mentions."""
    found: list[Json] = []
    command = _COMMAND.match(text)
    if command:
        found.append({"type": "bot_command", "offset": 0, "length": utf16(command.group(0))})
    for match in _MENTION.finditer(text):
        if command and match.start() < command.end():
            continue
        found.append(
            {"type": "mention", "offset": utf16(text[: match.start()]), "length": utf16(match.group(0))}
        )
    return found


class Updates:
    """Makes chats, messages, files and button presses, and queues them on the fake."""

    def __init__(self, fake: FakeBotApi) -> None:
        self.fake = fake
        self._ids = itertools.count(1)

    def private(self, user: Json = ADA) -> Json:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        self.fake.chats[chat["id"]] = chat
        return chat

    def group(self, chat_id: int = -100200, *, forum: bool = False, title: str = "Editors") -> Json:
        chat: Json = {"id": chat_id, "type": "supergroup", "title": title}
        if forum:
            chat["is_forum"] = True
        self.fake.chats[chat_id] = chat
        return chat

    def message(
        self,
        chat: Json,
        text: str | None = None,
        *,
        sender: Json = ADA,
        thread_id: int | None = None,
        reply_to: Json | None = None,
        extra: Json | None = None,
        push: bool = True,
    ) -> Json:
        """A message update (pushed unless ``push=False``); ``extra`` adds media fields."""
        message: Json = {
            "message_id": self.fake.next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
        }
        if text is not None:
            message["text"] = text
            if entities := _entities(text):
                message["entities"] = entities
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(extra or {})
        update = {"message": message}
        if push:
            self.fake.push(update)
        return update

    def media(
        self,
        kind: str,
        *,
        data: bytes | None = None,
        size: int | None = None,
        name: str | None = None,
        mime: str | None = None,
    ) -> Json:
        """The message fields for one file of ``kind`` (registered with the fake for getFile)."""
        stored = self.fake.add_file(data, size=size, name=name or kind)
        base: Json = {"file_id": stored.file_id, "file_unique_id": stored.unique_id, "file_size": stored.size}
        if kind == "photo":
            thumb = self.fake.add_file(b"thumb", name="thumb.jpg")
            small = {"file_id": thumb.file_id, "file_unique_id": thumb.unique_id, "width": 90, "height": 60}
            return {"photo": [small | {"file_size": 5}, base | {"width": 1280, "height": 720}]}
        if kind in ("video", "animation"):
            base |= {"width": 640, "height": 360, "duration": 3, "mime_type": mime or "video/mp4"}
            if name:
                base["file_name"] = name
            return {kind: base, "document": base} if kind == "animation" else {kind: base}
        if kind == "video_note":
            return {kind: base | {"length": 240, "duration": 2}}
        if kind == "voice":
            return {kind: base | {"duration": 2, "mime_type": mime or "audio/ogg"}}
        if kind == "audio":
            return {
                kind: base
                | {"duration": 3, "mime_type": mime or "audio/mpeg", "file_name": name or "song.mp3"}
            }
        return {
            "document": base
            | {"file_name": name or "file.bin", "mime_type": mime or "application/octet-stream"}
        }

    def press(self, message: Json, data: str, *, sender: Json = ADA) -> Json:
        """A button press on ``message`` (a message object the bot sent)."""
        query = {
            "id": f"cq{next(self._ids)}",
            "from": sender,
            "chat_instance": "ci",
            "data": data,
            "message": message,
        }
        update = {"callback_query": query}
        self.fake.push(update)
        return update
