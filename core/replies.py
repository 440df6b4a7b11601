"""Sending text within a platform's limits: splitting long text, and streaming it by native drafts
(where the platform has them) or by throttled edits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence

import stamina

from core.chat import Button, ChatKey, MessageRef, PlatformLimits
from core.ports import (
    CardSender,
    CardState,
    ChatUnavailable,
    DraftRefused,
    DraftStreamer,
    JobCard,
    MessageDeleter,
    MessageGone,
    Outbound,
    PlatformError,
    PlatformRateLimited,
    ReplySender,
)
from core.redact import redact_for_chat
from core.retrying import PLATFORM_ATTEMPTS, rate_limit_wait, transient_wait

log = logging.getLogger(__name__)

# Keep a margin under the platform's hard limit: entity parsing and formatting can add length.
_MARGIN = 0.97
# A reply shows at most this many platform messages; the rest is in the web editor. A 1 MB reply
# must not become hundreds of messages (and hundreds of rate-limited sends holding the chat).
MAX_REPLY_MESSAGES = 3
OVERFLOW_NOTE = "… (the rest is in the web editor)"


def split_text(text: str, limit: int, length: Callable[[str], int] = len) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` (as ``length`` counts), at the nicest break.

    Paragraph breaks are preferred, then line breaks, then spaces; a single overlong word is cut.
    Linear in ``len(text)``: every piece is searched within a window of ``limit`` characters
    (``length`` never counts a character as less than one), never over the whole rest.
    """
    budget = max(16, int(limit * _MARGIN))
    pieces: list[str] = []
    start, end = 0, len(text)
    while length(text[start : start + budget + 1]) > budget:
        # Largest prefix that fits, found by bisection on the character count.
        low, high = 1, min(end - start, budget)
        while low < high:
            mid = (low + high + 1) // 2
            if length(text[start : start + mid]) <= budget:
                low = mid
            else:
                high = mid - 1
        window = text[start : start + low]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator)
            if cut > low // 3:
                break
        if cut <= low // 3:
            cut = low
        pieces.append(window[:cut].rstrip())
        start += cut
        while start < end and text[start].isspace():
            start += 1
    rest = text[start:]
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def progress_bar(percent: int, width: int = 10) -> str:
    """A text progress bar that renders the same on every platform: ``▰▰▰▱▱▱▱▱▱▱``."""
    filled = max(0, min(width, round(percent * width / 100)))
    return "▰" * filled + "▱" * (width - filled)


class StreamingReply:
    """A reply that grows while the agent speaks, shown by editing as few messages as possible.

    ``update`` only records the newest text; a single flusher edits at most once per the platform's
    edit interval, so bursts of tokens coalesce into one edit. Text longer than a message continues
    in new messages. A platform 429 pauses the flusher for ``retry_after`` without losing text, and
    :meth:`finish` always delivers the last text, formatted as final.

    With ``native=True`` and an outbound that is a :class:`~core.ports.DraftStreamer` for this chat
    (Telegram private chats), the growing tail is shown as an animated draft instead, refreshed
    every ``draft_refresh_s`` so it does not vanish, and :meth:`finish` sends it as one real
    message; a refused draft falls back to edits for the rest of the reply.

    With an ``origin`` (the user's message) and ``notify_after_s``, a reply that took at least that
    long ends as a *new* message replying to the origin (a notification), and the streamed
    messages are removed, rather than ending as a silent edit.

    With a ``card_title``, an outbound that is a :class:`~core.ports.CardSender` draws the text as a
    job card (Discord embeds); :meth:`finish` takes the card's end ``state``.

    ``running_buttons`` (a job's Cancel) sit under the last message while the reply is in progress;
    :meth:`finish` replaces them with its own, so they disappear when the job ends. A native draft is
    not a message and has no buttons.
    """

    DRAFT_REFRESH_S = 20.0

    def __init__(
        self,
        out: Outbound,
        chat: ChatKey,
        *,
        is_group: bool = False,
        clock: Callable[[], float] | None = None,
        transform: Callable[[str], str] | None = None,
        on_first_message: Callable[[MessageRef], Awaitable[None]] | None = None,
        max_messages: int = MAX_REPLY_MESSAGES,
        overflow_note: str = OVERFLOW_NOTE,
        native: bool = False,
        origin: MessageRef | None = None,
        notify_after_s: float | None = None,
        draft_refresh_s: float | None = None,
        card_title: str | None = None,
        requester: str | None = None,
        running_buttons: Sequence[Button] = (),
    ) -> None:
        self._out = out
        self._running_buttons = tuple(running_buttons)
        # Told the first message's id, so a job can remember where its progress is shown.
        self._on_first_message = on_first_message
        self._chat = chat
        self._limits: PlatformLimits = out.limits
        self._interval = self._limits.edit_interval(is_group)
        self._clock = clock or asyncio.get_running_loop().time
        self._born = self._clock()
        drafts = native and isinstance(out, DraftStreamer) and out.drafts_in(chat, is_group=is_group)
        self._drafts: DraftStreamer | None = out if drafts and isinstance(out, DraftStreamer) else None
        # One non-zero id per reply: later drafts under it animate instead of replacing.
        self._draft_id = secrets.randbelow(2**31 - 1) + 1
        self._draft_text = ""
        self._draft_at = float("-inf")
        self._draft_refresh_s = draft_refresh_s or self.DRAFT_REFRESH_S
        self._draft_keeper: asyncio.Task[None] | None = None
        self._origin = origin
        self._notify_after_s = notify_after_s
        self._reply_first = False
        self.drafts = 0
        # A progress card (exports): drawn as a card where the platform can, else as text.
        self._cards: CardSender | None = out if card_title and isinstance(out, CardSender) else None
        self._card_title = card_title or ""
        self._requester = requester
        self._percent: int | None = None
        self._state = CardState.RUNNING
        # Applied once per flush, not per token: rewriting the whole reply on every event is O(n²).
        self._transform = transform
        self._max_messages = max(1, max_messages)
        self._overflow_note = overflow_note
        # More characters than this can never be shown (a character counts at least one unit).
        self._window = self._limits.max_text * self._max_messages + 1
        self._refs: list[MessageRef] = []
        self._shown: list[str] = []
        # Whether each message carries buttons now (a piece that stops being the last loses them).
        self._buttoned: list[bool] = []
        # The newest text, built on demand: a reply growing with every token is joined once per
        # flush (at most once per edit interval), not once per token.
        self._pending: Callable[[], str] | None = None
        self._last_edit = float("-inf")
        self._flusher: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._rendering = False
        self._closing = False
        self.unavailable = False

    @property
    def started(self) -> bool:
        return bool(self._refs) or bool(self._draft_text)

    def update(self, text: str, *, percent: int | None = None) -> None:
        """Show ``text`` (the whole reply so far) soon; cheap to call on every token. ``percent``
        is the progress a card shows (text shows it inside ``text`` already)."""
        if text.strip():
            self._percent = percent
            self.update_with(lambda: text)

    def update_with(self, supplier: Callable[[], str]) -> None:
        """Like :meth:`update`, with the text built by ``supplier`` only when it is shown; constant
        cost per call however long the reply grows. Blank text is not shown."""
        if self.unavailable:
            return
        self._pending = supplier
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon(), name=f"reply-flush:{self._chat}")

    async def _flush_soon(self) -> None:
        delay = self._last_edit + self._interval - self._clock()
        if delay > 0:
            await asyncio.sleep(delay)
        supplier, self._pending = self._pending, None
        text = supplier() if supplier is not None else None
        if text is not None and text.strip():
            # Only what can be shown is transformed and split: the cost of a flush is bounded.
            text = text[: self._window + 1]
            if self._transform is not None:
                text = self._transform(text)
            self._rendering = True
            try:
                await self._render(text, final=False, buttons=self._running_buttons)
            except PlatformRateLimited as exc:
                # Keep the newest text and try again once the platform allows it.
                self._keep_pending(text)
                self._last_edit = self._clock() + exc.retry_after
            except ChatUnavailable as exc:
                self.unavailable = True
                log.info("stopped updating a reply in %s: %s", self._chat, exc)
            except PlatformError as exc:
                # An interim update is not worth failing for; the next one (or the final) carries it.
                log.info("an interim reply update in %s failed: %s", self._chat, exc)
            finally:
                self._rendering = False
        # update() may have set new text while we were sending.
        if self._pending_text() is not None and not self._closing and not self.unavailable:
            self._flusher = asyncio.create_task(self._flush_soon(), name=f"reply-flush:{self._chat}")

    async def shown(self) -> None:
        """Wait until the latest :meth:`update` is on screen (a progress bar's 100 %, say)."""
        while self._flusher is not None and not self._flusher.done() and not self.unavailable:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._flusher)

    async def abandon(self) -> None:
        """Stop without a final text (the process is shutting down)."""
        self._closing = True
        await self._stop_draft_keeper()
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher

    async def discard(self, fallback: str) -> None:
        """End a progress card whose result was sent separately: remove it where the platform lets
        us (no "finished" line under the result), else leave ``fallback`` in it."""
        await self.abandon()
        if isinstance(self._out, MessageDeleter) and self._refs:
            try:
                removed = all([await self._out.delete_message(ref) for ref in self._refs])
            except PlatformError as exc:
                log.info("could not remove a progress card in %s: %s", self._chat, exc)
                removed = False
            if removed:
                self._refs, self._shown, self._buttoned = [], [], []
                return
        if self._refs:
            self._closing = False
            await self.finish(fallback)

    async def _stop_draft_keeper(self) -> None:
        keeper, self._draft_keeper = self._draft_keeper, None
        if keeper is not None and not keeper.done():
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper

    def _draft_live(self) -> bool:
        return not self._closing and self._drafts is not None

    async def _keep_draft(self) -> None:
        """A draft vanishes unless refreshed: repeat the last one while nothing new arrives."""
        while self._draft_live():
            await asyncio.sleep(max(0.05, self._draft_at + self._draft_refresh_s - self._clock()))
            if not self._draft_live() or self._rendering:
                continue
            if self._clock() - self._draft_at >= self._draft_refresh_s and self._draft_text:
                async with self._lock:
                    with contextlib.suppress(PlatformError):
                        await self._send_draft(self._draft_text)

    def _pending_text(self) -> Callable[[], str] | None:
        return self._pending

    def _keep_pending(self, text: str) -> None:
        if self._pending is None:
            self._pending = lambda: text

    async def finish(
        self, text: str, *, buttons: Sequence[Button] = (), state: CardState = CardState.DONE
    ) -> bool:
        """Deliver the final text (formatted as final), waiting out the edit budget if needed.
        ``state`` is how a progress card ends (done, failed, cancelled).

        Returns False when it could not be delivered (the chat is gone, or the platform kept
        refusing); that is logged, never raised, so the work behind the reply still completes.
        """
        self._closing = True
        self._pending = None
        self._state = state
        await self._stop_draft_keeper()
        flusher = self._flusher
        if flusher is not None and not flusher.done():
            if self._rendering:
                # Mid-send: cancelling could lose track of a message that was already sent.
                with contextlib.suppress(Exception):
                    await asyncio.shield(flusher)
            else:
                flusher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await flusher
        if self.unavailable:
            return False
        try:
            # A rate limit is waited out as the platform asks, another platform failure retried soon;
            # each try still keeps the chat's edit pace.
            async for attempt in stamina.retry_context(
                on=transient_wait, attempts=PLATFORM_ATTEMPTS, timeout=None
            ):
                with attempt:
                    delay = self._last_edit + self._interval - self._clock()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    if self._should_notify():
                        await self._render_as_notification(text, buttons=buttons)
                    else:
                        await self._render(text, final=True, buttons=buttons)
        except ChatUnavailable as exc:
            self.unavailable = True
            log.info("cannot deliver a reply in %s: %s", self._chat, exc)
            return False
        except PlatformError as exc:
            log.warning("gave up delivering a final reply in %s: %s", self._chat, exc)
            return False
        return True

    def _pieces(self, text: str) -> list[str]:
        """The messages that show ``text``: at most ``max_messages``, the last one ending with the
        overflow note when the text goes on; tokens masked whatever the text carried."""
        limit, length = self._limits.max_text, self._limits.text_length
        window = redact_for_chat(text[: self._window + 1])
        pieces = split_text(window, limit, length)
        if len(pieces) <= self._max_messages and len(text) <= self._window:
            return pieces
        pieces = pieces[: self._max_messages]
        note = "\n\n" + self._overflow_note
        room = max(32, limit - int(length(note) / _MARGIN) - 1)
        pieces[-1] = split_text(pieces[-1], room, length)[0].rstrip() + note
        return pieces

    def _should_notify(self) -> bool:
        """A slow reply ends as a new message replying to the user (a notification)."""
        if self._origin is None or self._notify_after_s is None or self._cards is not None:
            return False
        if not isinstance(self._out, ReplySender):
            return False
        if self._clock() - self._born < self._notify_after_s:
            return False
        # Edited messages must be removable, or the result would appear twice.
        return not self._refs or isinstance(self._out, MessageDeleter)

    async def _render_as_notification(self, text: str, *, buttons: Sequence[Button]) -> None:
        old = list(self._refs)
        self._refs, self._shown, self._buttoned = [], [], []
        self._reply_first = True
        try:
            await self._render(text, final=True, buttons=buttons)
        except BaseException:
            if not self._refs:
                self._refs, self._shown, self._buttoned = old, [""] * len(old), [True] * len(old)
            raise
        finally:
            self._reply_first = False
        if old and isinstance(self._out, MessageDeleter):
            for ref in old:
                try:
                    await self._out.delete_message(ref)
                except PlatformError as exc:
                    log.info("could not remove a streamed message in %s: %s", self._chat, exc)

    async def _send_draft(self, piece: str) -> None:
        assert self._drafts is not None
        await self._drafts.send_draft(self._chat, self._draft_id, piece)
        self._draft_text = piece
        self._draft_at = self._clock()
        self.drafts += 1
        if self._draft_keeper is None and not self._closing:
            self._draft_keeper = asyncio.create_task(self._keep_draft(), name=f"reply-draft:{self._chat}")

    async def _render(self, text: str, *, final: bool, buttons: Sequence[Button]) -> None:
        if self._cards is not None:
            await self._render_card(text, buttons=buttons)
            return
        async with self._lock:
            pieces = self._pieces(text)
            for index, piece in enumerate(pieces):
                last = index == len(pieces) - 1
                piece_buttons = buttons if last else ()
                if index < len(self._refs):
                    stale_buttons = self._buttoned[index] and not piece_buttons
                    if self._shown[index] == piece and not (final and last) and not stale_buttons:
                        continue
                    await self._edit(index, piece, final=final, buttons=piece_buttons)
                elif last and not final and self._drafts is not None:
                    if piece == self._draft_text:
                        continue
                    try:
                        await self._send_draft(piece)
                    except DraftRefused as exc:
                        log.info("drafts refused in %s, streaming by edits: %s", self._chat, exc)
                        self._drafts = None
                        await self._send_new(piece, buttons=piece_buttons, final=final)
                else:
                    await self._send_new(piece, buttons=piece_buttons, final=final)
                self._last_edit = self._clock()

    async def _render_card(self, text: str, *, buttons: Sequence[Button]) -> None:
        assert self._cards is not None
        card = JobCard(self._card_title, redact_for_chat(text), self._state, self._percent, self._requester)
        async with self._lock:
            if self._refs:
                try:
                    await self._cards.edit_card(self._refs[0], card, buttons=buttons)
                    self._last_edit = self._clock()
                    return
                except MessageGone:
                    self._refs.clear()
            self._refs.append(await self._cards.send_card(self._chat, card, buttons=buttons))
            self._shown = [text]
            self._buttoned = [bool(buttons)]
            self._last_edit = self._clock()

    async def _send_new(self, piece: str, *, buttons: Sequence[Button], final: bool) -> None:
        if self._reply_first and not self._refs and self._origin is not None:
            assert isinstance(self._out, ReplySender)
            ref = await self._out.send_reply(self._origin, piece, buttons=buttons)
        else:
            ref = await self._out.send_text(self._chat, piece, buttons=buttons, final=final)
        self._refs.append(ref)
        self._shown.append(piece)
        self._buttoned.append(bool(buttons))
        if len(self._refs) == 1 and self._on_first_message is not None:
            await self._noted(ref)

    async def _noted(self, ref: MessageRef) -> None:
        assert self._on_first_message is not None
        try:
            await self._on_first_message(ref)
        except Exception:  # broad on purpose: remembering the message must not stop the reply
            log.warning(
                "could not remember reply message %s in %s", ref.message_id, self._chat, exc_info=True
            )

    async def _edit(self, index: int, piece: str, *, final: bool, buttons: Sequence[Button]) -> None:
        try:
            await self._out.edit_text(self._refs[index], piece, buttons=buttons, final=final)
        except MessageGone:
            self._refs[index] = await self._out.send_text(self._chat, piece, buttons=buttons, final=final)
        self._shown[index] = piece
        self._buttoned[index] = bool(buttons)


async def send_safely(out: Outbound, chat: ChatKey, text: str, *, buttons: Sequence[Button] = ()) -> None:
    """Send a (possibly long) message, riding out platform rate limits; a gone chat is logged only.

    Tokens are masked whatever the text carried (an error quoting the user's input, say)."""
    pieces = split_text(redact_for_chat(text), out.limits.max_text, out.limits.text_length)
    for index, piece in enumerate(pieces):
        try:
            async for attempt in stamina.retry_context(
                on=rate_limit_wait, attempts=PLATFORM_ATTEMPTS, timeout=None
            ):
                with attempt:
                    await out.send_text(chat, piece, buttons=buttons if index == len(pieces) - 1 else ())
        except PlatformRateLimited as exc:
            log.warning("gave up sending a message to %s: %s", chat, exc)
        except ChatUnavailable as exc:
            log.info("cannot write to %s: %s", chat, exc)
            return
