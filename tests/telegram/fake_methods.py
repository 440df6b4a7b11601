"""The Bot API methods the fake implements, each as Telegram answers it (including its refusals)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from telegram.constants import ReactionEmoji

from tests.telegram.fake_model import ApiError, Call, Draft, StoredMessage

if TYPE_CHECKING:
    from tests.telegram.fake_bot_api import FakeBotApi

Handler = Callable[["FakeBotApi", Call], Awaitable[Any]]

MAX_TEXT = 4096
MAX_CAPTION = 1024
# Telegram's list of emoji a bot may react with (as PTB 22.8 copies it); ✅ and ❌ are not on it.
ALLOWED_REACTIONS = frozenset(emoji.value for emoji in ReactionEmoji)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


def _int(params: dict[str, Any], name: str) -> int:
    try:
        return int(params[name])
    except (KeyError, TypeError, ValueError):
        raise ApiError(400, f"Bad Request: {name} is required") from None


def _thread(params: dict[str, Any]) -> int | None:
    value = params.get("message_thread_id")
    return int(value) if value not in (None, "") else None


def _markup(params: dict[str, Any]) -> str:
    value = params.get("reply_markup")
    return json.dumps(value, sort_keys=True) if value else ""


def _message_json(api: FakeBotApi, stored: StoredMessage, extra: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "message_id": stored.message_id,
        "date": int(time.time()),
        "chat": api.chat_json(stored.chat_id),
        "from": api.bot_user,
        **extra,
    }
    if stored.text is not None:
        data["text"] = stored.text
        if stored.entities:
            data["entities"] = [entity.to_json() for entity in stored.entities]
    if stored.markup:
        data["reply_markup"] = json.loads(stored.markup)
    if stored.thread_id is not None:
        data["message_thread_id"] = stored.thread_id
        data["is_topic_message"] = True
    stored.json = data
    return data


async def get_updates(api: FakeBotApi, call: Call) -> Any:
    params = call.params
    offset = int(params.get("offset") or 0)
    timeout = float(params.get("timeout") or 0)
    limit = int(params.get("limit") or 100)
    api.confirm(offset)

    async def arrival() -> None:
        async with api.changed:
            while not api.pending(offset) and not api.stopping:
                await api.changed.wait()

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(arrival(), timeout)
    return api.pending(offset)[:limit]


async def send_message(api: FakeBotApi, call: Call) -> Any:
    params = call.params
    chat_id = _int(params, "chat_id")
    plain, entities = api.render(str(params.get("text", "")), params.get("parse_mode"), MAX_TEXT, "text")
    api.check_chat(chat_id)
    api.check_flood(chat_id)
    stored = StoredMessage(
        chat_id, api.next_message_id(chat_id), plain, entities, _markup(params), _thread(params)
    )
    api.messages[(chat_id, stored.message_id)] = stored
    return _message_json(api, stored, {})


async def edit_message_text(api: FakeBotApi, call: Call) -> Any:
    params = call.params
    chat_id = _int(params, "chat_id")
    stored = api.messages.get((chat_id, _int(params, "message_id")))
    if stored is None:
        raise ApiError(400, "Bad Request: message to edit not found")
    if stored.text is None:
        raise ApiError(400, "Bad Request: there is no text in the message to edit")
    plain, entities = api.render(str(params.get("text", "")), params.get("parse_mode"), MAX_TEXT, "text")
    markup = _markup(params)
    if (plain, entities, markup) == (stored.text, stored.entities, stored.markup):
        raise ApiError(400, NOT_MODIFIED)
    api.check_chat(chat_id)
    api.check_flood(chat_id)
    stored.text, stored.entities, stored.markup = plain, entities, markup
    return _message_json(api, stored, {})


async def send_video(api: FakeBotApi, call: Call) -> Any:
    params = call.params
    chat_id = _int(params, "chat_id")
    size = call.files.get("video", ("", 0))[1]
    reference = str(params.get("video") or "")
    if reference.startswith("file://"):
        # Local mode: the server reads the bot's file from disk.
        if api.local_dir is None:
            raise ApiError(400, "Bad Request: wrong remote file identifier specified")
        local = Path(url2pathname(urlsplit(reference).path))
        if not await asyncio.to_thread(local.is_file):
            raise ApiError(400, "Bad Request: file not found")
        size = (await asyncio.to_thread(local.stat)).st_size
        call.files["video"] = (local.name, size)
    elif "video" not in call.files:
        raise ApiError(400, "Bad Request: there is no video in the request")
    if size > api.upload_cap:
        raise ApiError(413, "Request Entity Too Large")
    caption, _entities = api.render(
        str(params.get("caption") or ""), params.get("parse_mode"), MAX_CAPTION, "caption"
    )
    api.check_chat(chat_id)
    api.check_flood(chat_id)
    stored = StoredMessage(chat_id, api.next_message_id(chat_id), None, (), _markup(params), _thread(params))
    api.messages[(chat_id, stored.message_id)] = stored
    video = {
        "file_id": f"sent-{stored.message_id}",
        "file_unique_id": f"s{stored.message_id}",
        # What the bot said about the video (a client shows these before downloading), else 0.
        "width": int(params.get("width") or 0),
        "height": int(params.get("height") or 0),
        "duration": int(params.get("duration") or 0),
        "file_size": size,
    }
    extra: dict[str, Any] = {"video": video}
    if caption:
        extra["caption"] = caption
    return _message_json(api, stored, extra)


async def send_message_draft(api: FakeBotApi, call: Call) -> Any:
    """Bot API 9.3: an animated preview in a private chat; not a message, so nothing is stored
    among the chat's messages (``api.drafts`` records what the user saw)."""
    if not api.drafts_supported:
        raise ApiError(404, "Not Found")
    params = call.params
    chat_id = _int(params, "chat_id")
    draft_id = _int(params, "draft_id")
    if draft_id == 0:
        raise ApiError(400, "Bad Request: draft_id must be non-zero")
    if api.chat_json(chat_id).get("type") != "private":
        raise ApiError(400, "Bad Request: drafts can be sent only to private chats")
    text, _entities = api.render(str(params.get("text") or ""), params.get("parse_mode"), MAX_TEXT, "draft")
    api.check_chat(chat_id)
    api.check_flood(chat_id)
    api.drafts.append(Draft(chat_id, draft_id, text, time.monotonic()))
    return True


async def set_message_reaction(api: FakeBotApi, call: Call) -> Any:
    params = call.params
    chat_id = _int(params, "chat_id")
    message_id = _int(params, "message_id")
    if chat_id in api.reactions_off:
        raise ApiError(400, "Bad Request: REACTION_INVALID")
    reactions = params.get("reaction") or []
    if isinstance(reactions, str):
        reactions = json.loads(reactions)
    emoji = [str(r.get("emoji")) for r in reactions if r.get("type") == "emoji"]
    if any(e not in ALLOWED_REACTIONS for e in emoji):
        raise ApiError(400, "Bad Request: REACTION_INVALID")
    api.check_chat(chat_id)
    api.reactions[(chat_id, message_id)] = emoji
    return True


async def send_chat_action(api: FakeBotApi, call: Call) -> Any:
    api.check_chat(_int(call.params, "chat_id"))
    return True


async def get_file(api: FakeBotApi, call: Call) -> Any:
    stored = api.files.get(str(call.params.get("file_id")))
    if stored is None:
        raise ApiError(400, "Bad Request: invalid file_id")
    if stored.size > api.download_cap:
        raise ApiError(400, "Bad Request: file is too big")
    path = stored.path
    if api.local_dir is not None and stored.data is not None:
        # A local server answers with the file's absolute path on its own disk.
        local = api.local_dir / stored.path
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(stored.data)
        path = str(local)
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.unique_id,
        "file_size": stored.size,
        "file_path": path,
    }


async def get_me(api: FakeBotApi, call: Call) -> Any:
    return api.bot_user


async def set_webhook(api: FakeBotApi, call: Call) -> Any:
    api.webhook = dict(call.params)
    return True


async def delete_webhook(api: FakeBotApi, call: Call) -> Any:
    api.webhook = None
    return True


async def set_my_commands(api: FakeBotApi, call: Call) -> Any:
    api.commands[call.params.get("language_code") or None] = list(call.params.get("commands") or [])
    return True


async def answer_callback_query(api: FakeBotApi, call: Call) -> Any:
    return True


async def get_chat_member(api: FakeBotApi, call: Call) -> Any:
    chat_id, user_id = int(call.params["chat_id"]), int(call.params["user_id"])
    status = "administrator" if (chat_id, user_id) in api.chat_admins else "member"
    user = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}
    if status == "administrator":
        return {
            "status": status,
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": True,
            "can_manage_video_chats": False,
            "can_restrict_members": True,
            "can_promote_members": False,
            "can_change_info": False,
            "can_invite_users": True,
            "can_post_stories": False,
            "can_edit_stories": False,
            "can_delete_stories": False,
        }
    return {"status": status, "user": user}


async def delete_message(api: FakeBotApi, call: Call) -> Any:
    """The bot's own messages anywhere (within 48 h); users' messages in private chats, and in
    groups only where the bot was made an admin (``api.admin_in``)."""
    chat_id = _int(call.params, "chat_id")
    message_id = _int(call.params, "message_id")
    own = api.messages.pop((chat_id, message_id), None) is not None
    if not own and chat_id < 0 and chat_id not in api.admin_in:
        raise ApiError(400, "Bad Request: message can't be deleted")
    api.deleted.append((chat_id, message_id))
    return True


METHODS: dict[str, Handler] = {
    "getUpdates": get_updates,
    "sendMessage": send_message,
    "editMessageText": edit_message_text,
    "sendVideo": send_video,
    "sendChatAction": send_chat_action,
    "sendMessageDraft": send_message_draft,
    "setMessageReaction": set_message_reaction,
    "getFile": get_file,
    "getMe": get_me,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "setMyCommands": set_my_commands,
    "answerCallbackQuery": answer_callback_query,
    "getChatMember": get_chat_member,
    "deleteMessage": delete_message,
}


async def dispatch(api: FakeBotApi, call: Call) -> Any:
    """Run ``call``; an unknown method is a 404, as on the real server."""
    handler = METHODS.get(call.method)
    if handler is None:
        raise ApiError(404, "Not Found")
    return await handler(api, call)
