"""The core's :class:`~core.ports.Outbound` on Telegram: send, edit, send a video, show activity.

Every call is paced (see :mod:`bots.telegram.flood`), passes the forum topic's thread id, and turns
Telegram's errors into the core's (see :mod:`bots.telegram.errors`). Streamed text is plain; the
final version is HTML, and plain again if Telegram cannot parse it.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReactionTypeEmoji,
    ReplyParameters,
)
from telegram import Message as TelegramMessage
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, InvalidToken, RetryAfter, TelegramError

from bots.telegram.errors import is_not_modified, is_parse_error, retry_after_seconds, translate
from bots.telegram.files import Downloads
from bots.telegram.flood import Pacer
from bots.telegram.formatting import split_caption, to_html
from bots.telegram.keyboards import keyboard
from bots.telegram.links import LinkButton, split_links
from bots.telegram.settings import TelegramSettings
from core.chat import Button, ChatAction, ChatKey, MessageRef, PlatformLimits, utf16_length
from core.mp4_probe import probe_mp4
from core.ports import ChatUnavailable, DraftRefused, PlatformError, Reaction
from core.redact import redact

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_TEXT = 4096

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# How many messages' last rendered form are remembered to skip edits that change nothing; the
# oldest are forgotten first (a forgotten one is only edited again, as before).
_SHOWN_CAP = 4096

Shown = tuple[str, str | None]
"""What a message shows: its text as HTML (plain text escaped) and its reply markup as JSON."""
# From Telegram's list of allowed reaction emoji (✅ is not on it; 👌 and 👎 are the nearest).
_REACTIONS = {Reaction.SEEN: "👀", Reaction.DONE: "👌", Reaction.FAILED: "👎"}


class _ParseFailed(Exception):
    """Telegram could not parse the HTML; the caller sends the plain text instead."""


class _Unchanged(Exception):
    """Telegram says the edit changes nothing, which for the core is a successful edit."""


def _target(chat: ChatKey) -> tuple[int, int | None]:
    return int(chat.chat_id), int(chat.thread_id) if chat.thread_id else None


def _quote(reply_to: MessageRef | None) -> ReplyParameters | None:
    # Sent even when the quoted message was deleted meanwhile.
    if reply_to is None:
        return None
    return ReplyParameters(int(reply_to.message_id), allow_sending_without_reply=True)


class TelegramOutbound:
    """Implements :class:`core.ports.Outbound` with a PTB :class:`~telegram.Bot`.

    Limits: 4096 UTF-16 units per message, one edit a second in private chats and one every three
    seconds in groups (20 messages a minute), 50 MB up and 20 MB down (2000 MB and unlimited with
    a local Bot API server).
    """

    def __init__(
        self,
        bot: Bot,
        settings: TelegramSettings,
        *,
        pacer: Pacer,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self._bot = bot
        self._pacer = pacer
        self.files: Downloads | None = None  # set by the adapter once connected (reopen needs it)
        self._secrets = secrets
        self._media_timeout = settings.telegram_media_timeout_s
        self._shown: OrderedDict[tuple[int, int], Shown] = OrderedDict()
        # Switched off for the process when the server does not know the method (an older or
        # local Bot API server): no point asking again on every reply.
        self._drafts_available = True
        self._reactions_available = True
        self._limits = PlatformLimits(
            max_text=MAX_TEXT,
            upload_cap=settings.upload_cap,
            edit_interval_s=settings.telegram_edit_interval_s,
            group_edit_interval_s=settings.telegram_group_edit_interval_s,
            download_cap=settings.download_cap,
            text_length=utf16_length,
        )

    def reopen(self, ref: str) -> Callable[[], AsyncIterator[bytes]]:
        """A received file opened again by its file_id (an upload another worker stored)."""
        if self.files is None:
            raise RuntimeError("the Telegram adapter is not connected")
        return self.files.opener(ref)

    @property
    def limits(self) -> PlatformLimits:
        return self._limits

    async def send_text(
        self, chat: ChatKey, text: str, *, buttons: Sequence[Button] = (), final: bool = True
    ) -> MessageRef:
        return await self._send(chat, text, buttons=buttons, final=final, reply_to=None)

    async def send_reply(
        self, origin: MessageRef, text: str, *, buttons: Sequence[Button] = ()
    ) -> MessageRef:
        """A new, formatted message quoting the user's ``origin`` message, so it notifies them."""
        return await self._send(origin.chat, text, buttons=buttons, final=True, reply_to=origin)

    async def _send(
        self,
        chat: ChatKey,
        text: str,
        *,
        buttons: Sequence[Button],
        final: bool,
        reply_to: MessageRef | None,
    ) -> MessageRef:
        chat_id, thread_id = _target(chat)
        markup = self._markup(buttons)
        quote = _quote(reply_to)

        async def send(body: str, parse_mode: str | None) -> TelegramMessage:
            return await self._bot.send_message(
                chat_id,
                body,
                parse_mode=parse_mode,
                reply_markup=markup,
                message_thread_id=thread_id,
                link_preview_options=_NO_PREVIEW,
                reply_parameters=quote,
            )

        message, rendered = await self._formatted(chat_id, "sendMessage", text, final, send)
        self._remember((chat_id, message.message_id), (rendered, _markup_key(markup)))
        return MessageRef(chat, str(message.message_id))

    async def edit_text(
        self, ref: MessageRef, text: str, *, buttons: Sequence[Button] = (), final: bool = False
    ) -> None:
        chat_id, _thread = _target(ref.chat)
        markup = self._markup(buttons)
        key = (chat_id, int(ref.message_id))
        wanted = (_rendered(text, final), _markup_key(markup))
        if self._shown.get(key) == wanted:
            # Telegram would answer "message is not modified": the final version of a streamed
            # reply often renders exactly like the text already on screen. Skip the call and its slot.
            self._shown.move_to_end(key)
            return

        async def edit(body: str, parse_mode: str | None) -> object:
            return await self._bot.edit_message_text(
                body,
                chat_id=chat_id,
                message_id=int(ref.message_id),
                parse_mode=parse_mode,
                reply_markup=markup,
                link_preview_options=_NO_PREVIEW,
            )

        try:
            _result, rendered = await self._formatted(chat_id, "editMessageText", text, final, edit)
        except _Unchanged:
            self._remember(key, wanted)
            return
        self._remember(key, (rendered, wanted[1]))

    async def send_video(
        self, chat: ChatKey, path: Path, *, caption: str, buttons: Sequence[Button] = ()
    ) -> MessageRef:
        return await self._send_video(chat, path, caption=caption, buttons=buttons, reply_to=None)

    async def send_video_reply(
        self, origin: MessageRef, path: Path, *, caption: str, buttons: Sequence[Button] = ()
    ) -> MessageRef:
        """The video as a reply to ``origin`` (the /export that asked for it), which notifies the
        asker and, in a group, shows whom it is for."""
        return await self._send_video(origin.chat, path, caption=caption, buttons=buttons, reply_to=origin)

    async def _send_video(
        self,
        chat: ChatKey,
        path: Path,
        *,
        caption: str,
        buttons: Sequence[Button],
        reply_to: MessageRef | None,
    ) -> MessageRef:
        chat_id, thread_id = _target(chat)
        # Links become URL buttons under the video; the player gets the size and length up front.
        text, links = split_links(caption)
        info = await asyncio.to_thread(probe_mp4, path)
        split = split_caption(text)
        # Buttons go under the last message, which is the follow-up text when there is one.
        markup = None if split.follow_up else self._markup(buttons, links)
        timeout = self._media_timeout
        message = await self._call(
            chat_id,
            "sendVideo",
            lambda: self._bot.send_video(
                chat_id,
                path,
                caption=split.caption or None,
                supports_streaming=True,
                width=info.width if info else None,
                height=info.height if info else None,
                duration=round(info.duration_s) if info else None,
                reply_markup=markup,
                message_thread_id=thread_id,
                filename=path.name,
                reply_parameters=_quote(reply_to),
                read_timeout=timeout,
                write_timeout=timeout,
            ),
        )
        if split.follow_up:
            try:
                await self.send_text(chat, split.follow_up, buttons=buttons)
            except ChatUnavailable:
                raise
            except PlatformError as exc:
                # The video is there; failing now would make the core send its link as well.
                log.info("the rest of a long caption could not be sent: %s", exc)
        return MessageRef(chat, str(message.message_id))

    def drafts_in(self, chat: ChatKey, *, is_group: bool) -> bool:
        """Drafts exist in private chats only (their ids are positive), where the server has them."""
        return self._drafts_available and not is_group and int(chat.chat_id) > 0

    async def send_draft(self, chat: ChatKey, draft_id: int, text: str) -> None:
        """sendMessageDraft: the animated preview of a reply being written (plain text)."""
        chat_id, thread_id = _target(chat)
        await self._pacer.slot(chat_id)
        try:
            await self._bot.send_message_draft(chat_id, draft_id, text, message_thread_id=thread_id)
        except (EndPointNotFound, InvalidToken) as exc:
            # PTB reports an unknown method (404) as InvalidToken; the token worked for getMe.
            self._drafts_available = False
            raise DraftRefused("sendMessageDraft is not available on this Bot API server") from exc
        except BadRequest as exc:
            raise DraftRefused(redact(f"sendMessageDraft: {exc.message}", self._secrets)) from exc
        except TelegramError as exc:
            if isinstance(exc, RetryAfter):
                self._pacer.block(chat_id, retry_after_seconds(exc))
            raise translate(exc, "sendMessageDraft", self._secrets) from exc

    async def react(self, ref: MessageRef, reaction: Reaction) -> None:
        """setMessageReaction on the user's message; a chat with reactions off is skipped silently."""
        if not self._reactions_available:
            return
        chat_id, _thread = _target(ref.chat)
        try:
            await self._bot.set_message_reaction(
                chat_id, int(ref.message_id), [ReactionTypeEmoji(_REACTIONS[reaction])]
            )
        except (EndPointNotFound, InvalidToken):
            self._reactions_available = False  # an unknown method (404) on an older server
        except RetryAfter as exc:
            self._pacer.block(chat_id, retry_after_seconds(exc))
        except TelegramError as exc:
            # Reactions off in this chat, an emoji it does not allow, a deleted message: a courtesy
            # is never worth an error.
            log.debug("no reaction in telegram chat %s: %s", chat_id, exc.message)

    async def delete_message(self, ref: MessageRef) -> bool:
        """Delete a message: a user's /token message, or the bot's own streamed reply or progress
        card. Bots may delete any message in a private chat and their own within 48 h; others' in
        groups only as an admin with "delete messages". False where Telegram refuses."""
        chat_id, _thread = _target(ref.chat)
        try:
            return bool(await self._bot.delete_message(chat_id, int(ref.message_id)))
        except TelegramError as exc:
            if isinstance(exc, RetryAfter):
                self._pacer.block(chat_id, retry_after_seconds(exc))
            log.info(
                "could not delete message %s in %s: %s",
                ref.message_id,
                chat_id,
                translate(exc, "deleteMessage", self._secrets),
            )
            return False

    async def chat_action(self, chat: ChatKey, action: ChatAction) -> None:
        chat_id, thread_id = _target(chat)
        # Not paced: an activity hint is cheap, and a late one is useless.
        try:
            await self._bot.send_chat_action(chat_id, action.value, message_thread_id=thread_id)
        except TelegramError as exc:
            if isinstance(exc, RetryAfter):
                self._pacer.block(chat_id, retry_after_seconds(exc))
            raise translate(exc, "sendChatAction", self._secrets) from exc

    @staticmethod
    def _markup(buttons: Sequence[Button], links: Sequence[LinkButton] = ()) -> InlineKeyboardMarkup | None:
        if not buttons and not links:
            return None
        actions = keyboard(buttons)
        rows = [[InlineKeyboardButton(link.label, url=link.url)] for link in links]
        return InlineKeyboardMarkup([*rows, *(actions.inline_keyboard if actions else ())])

    def _remember(self, key: tuple[int, int], shown: Shown) -> None:
        self._shown[key] = shown
        self._shown.move_to_end(key)
        if len(self._shown) > _SHOWN_CAP:
            self._shown.popitem(last=False)

    async def _formatted(
        self,
        chat_id: int,
        what: str,
        text: str,
        final: bool,
        call: Callable[[str, str | None], Awaitable[T]],
    ) -> tuple[T, str]:
        """Send ``text`` (HTML when final, plain if that fails); returns the result and the HTML sent."""
        if final:
            body = to_html(text)
            try:
                return await self._call(chat_id, what, lambda: call(body, ParseMode.HTML)), body
            except _ParseFailed:
                log.info("telegram could not parse a formatted %s; sending it as plain text", what)
        return await self._call(chat_id, what, lambda: call(text, None)), _rendered(text, final=False)

    async def _call(self, chat_id: int, what: str, request: Callable[[], Awaitable[T]]) -> T:
        await self._pacer.slot(chat_id)
        try:
            return await request()
        except TelegramError as exc:
            if is_not_modified(exc):
                raise _Unchanged from exc
            if is_parse_error(exc):
                raise _ParseFailed from exc
            if isinstance(exc, RetryAfter):
                self._pacer.block(chat_id, retry_after_seconds(exc))
            error = translate(exc, what, self._secrets)
            if isinstance(error, ChatUnavailable):
                log.info("cannot write to telegram chat %s: %s", chat_id, error)
            raise error from exc


def _rendered(text: str, final: bool) -> str:
    """The message as Telegram will show it, as HTML: plain text escaped is the same message."""
    return to_html(text) if final else html.escape(text, quote=False)


def _markup_key(markup: InlineKeyboardMarkup | None) -> str | None:
    return markup.to_json() if markup is not None else None
