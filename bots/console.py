"""The console adapter: chat with NemoVideo in a terminal (``nemobot console`` / ``nemobot demo``).

Interactive use shows text as it streams and rewrites progress lines in place. Piped use prints only
finished messages, handles one line at a time (waiting for its turn, upload or export to finish),
and exits 0 at end of input.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import itertools
import mimetypes
import os
import shutil
import signal
import sys
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from core.chat import (
    Action,
    Attachment,
    Button,
    ChatAction,
    ChatKey,
    Inbound,
    MessageRef,
    PlatformLimits,
    Sender,
)
from core.i18n import t
from core.inbound import Core, CoreUnavailable
from core.nemo.multipart import read_file_chunks

CHAT = ChatKey("console", "local")
_BUTTON_HINTS = {
    Action.EXPORT: "/export",
    Action.STATUS: "/status",
    Action.CREDITS: "/credits",
    Action.NEW: "/new",
    Action.CANCEL: "/cancel",
    Action.HELP: "/help",
}


@dataclass(slots=True)
class _Shown:
    text: str = ""
    final: bool = False


@dataclass
class ConsoleOutbound:
    """Prints the bot's messages; "edits" extend or rewrite the last block where a terminal can."""

    stream: TextIO
    interactive: bool
    exports_dir: Path
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _shown: dict[str, _Shown] = field(default_factory=dict)
    _last: str | None = None
    _line_open: bool = False

    @property
    def limits(self) -> PlatformLimits:
        return PlatformLimits(
            max_text=20_000,
            upload_cap=2_000_000_000,
            edit_interval_s=0.05 if self.interactive else 0.2,
            download_cap=None,
        )

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def _close_line(self) -> None:
        if self._line_open:
            self._write("\n")
            self._line_open = False

    def _block(self, text: str, buttons: Sequence[Button]) -> None:
        self._close_line()
        hints = " · ".join(_BUTTON_HINTS[b.action] for b in buttons if b.action in _BUTTON_HINTS)
        self._write(f"nemobot> {text}\n" + (f"         [{hints}]\n" if hints else ""))

    async def send_text(
        self, chat: ChatKey, text: str, *, buttons: Sequence[Button] = (), final: bool = True
    ) -> MessageRef:
        ref = MessageRef(chat, str(next(self._ids)))
        self._shown[ref.message_id] = _Shown(text if (final or self.interactive) else "", final)
        if final:
            self._block(text, buttons)
            self._last = None
        elif self.interactive:
            self._close_line()
            self._cancel_hint(buttons)
            self._write(f"nemobot> {text}")
            self._line_open, self._last = True, ref.message_id
        return ref

    def _cancel_hint(self, buttons: Sequence[Button]) -> None:
        """A running job's Cancel button is, in a terminal, Ctrl+C or /cancel: say so once, above it."""
        cancel = next((b for b in buttons if b.action is Action.CANCEL), None)
        if cancel is not None:
            self._write(f"         [{cancel.label}: Ctrl+C · /cancel]\n")

    async def edit_text(
        self, ref: MessageRef, text: str, *, buttons: Sequence[Button] = (), final: bool = False
    ) -> None:
        shown = self._shown.setdefault(ref.message_id, _Shown())
        if not self.interactive:
            if final:
                self._block(text, buttons)
            shown.text, shown.final = text, final
            return
        if self._last == ref.message_id and self._line_open and text.startswith(shown.text):
            self._write(text[len(shown.text) :])
        elif self._last == ref.message_id and self._line_open:
            # The text changed above its end (a phrase translated once complete): redraw the
            # block in place rather than print the whole reply a second time below it.
            self._write(_erase(f"nemobot> {shown.text}") + f"nemobot> {text}")
        else:
            self._close_line()
            if not final:
                self._cancel_hint(buttons)
            self._write(f"nemobot> {text}")
            self._line_open, self._last = True, ref.message_id
        shown.text, shown.final = text, final
        if final:
            self._close_line()
            hints = " · ".join(_BUTTON_HINTS[b.action] for b in buttons if b.action in _BUTTON_HINTS)
            if hints:
                self._write(f"         [{hints}]\n")
            self._last = None

    async def delete_message(self, ref: MessageRef) -> bool:
        """Withdraw a message: a progress line still open is erased; one never printed (piped
        mode prints only finished messages) is simply never printed. A finished message already
        printed cannot be taken back."""
        shown = self._shown.pop(ref.message_id, None)
        if shown is None or not shown.final:
            if self.interactive and self._last == ref.message_id and self._line_open:
                self._write("\r\x1b[K")
                self._line_open, self._last = False, None
            return True
        return False

    def prompt(self, text: str) -> None:
        self._close_line()
        self._write(text)

    async def send_video(
        self, chat: ChatKey, path: Path, *, caption: str, buttons: Sequence[Button] = ()
    ) -> MessageRef:
        self.exports_dir.mkdir(parents=True, exist_ok=True)
        target = self.exports_dir / path.name
        await asyncio.to_thread(shutil.copyfile, path, target)
        return await self.send_text(chat, f"🎬 {target}\n{caption}", buttons=buttons)

    async def chat_action(self, chat: ChatKey, action: ChatAction) -> None:
        return None


def _rows(text: str, columns: int) -> int:
    """How many terminal rows ``text`` takes (wide CJK characters count twice)."""
    rows = 0
    for line in text.split("\n"):
        width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
        rows += max(1, -(-width // columns))
    return rows


def _erase(shown: str) -> str:
    """Escape codes that move the cursor to the start of ``shown`` (the open block) and clear it."""
    rows = _rows(shown, max(20, shutil.get_terminal_size().columns))
    return "\r" + (f"\x1b[{rows - 1}A" if rows > 1 else "") + "\x1b[J"


def attachment_from_path(path: Path) -> Attachment:
    """A local file as an attachment (streamed from disk when uploaded)."""
    size = path.stat().st_size
    mime = mimetypes.guess_type(path.name)[0]
    kind = (mime or "").split("/")[0] or "document"
    return Attachment(path.name, mime, size, open=lambda: read_file_chunks(path), kind=kind)


class ConsoleSession:
    """Reads lines, turns them into :class:`Inbound` messages, and hands them to the core."""

    def __init__(self, bot: Core, out: ConsoleOutbound, stdin: TextIO) -> None:
        self.bot = bot
        self.out = out
        self.stdin = stdin
        self._ids = itertools.count(1)
        # Ids are unique across runs: a second session on the same data dir must not find its
        # lines already claimed by the first one's.
        self._run_id = uuid.uuid4().hex[:12]
        self._interrupts: set[asyncio.Task[None]] = set()
        locale = os.environ.get("LANG", "").split(".")[0].replace("_", "-") or None
        self.sender = Sender("console-user", getpass.getuser(), locale)

    def _message(self, text: str, attachments: tuple[Attachment, ...] = ()) -> Inbound:
        return Inbound(
            CHAT,
            self.sender,
            text,
            attachments,
            addressed=True,
            message_id=f"{self._run_id}:{next(self._ids)}",
        )

    def to_inbound(self, line: str) -> Inbound | None:
        """Map one input line; ``/upload PATH`` becomes an attachment. ``None`` means quit."""
        text = line.strip()
        if text in ("/quit", "/exit"):
            return None
        if text.startswith("/upload "):
            target = text[len("/upload ") :].strip().strip("'\"")
            path = Path(target).expanduser()
            if not target.startswith(("http://", "https://")) and path.is_file():
                return self._message("", (attachment_from_path(path),))
        return self._message(text)

    def _missing_file(self, line: str) -> str | None:
        text = line.strip()
        if not text.startswith("/upload "):
            return None
        target = text[len("/upload ") :].strip().strip("'\"")
        if target.startswith(("http://", "https://")) or Path(target).expanduser().is_file():
            return None
        return target

    async def run(self) -> int:
        await self.out.send_text(CHAT, await self.bot.help_text(CHAT, self.sender.locale))
        loop = asyncio.get_running_loop()
        if self.out.interactive:
            # Ctrl+C stops the job in progress, like /cancel; /quit or Ctrl+D leaves.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signal.SIGINT, self._interrupt)
        while True:
            if self.out.interactive:
                self.out.prompt("you> ")
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line:
                break
            if not line.strip():
                continue
            missing = self._missing_file(line)
            if missing is not None:
                lang = await self.bot.language(CHAT, self.sender.locale)
                await self.out.send_text(CHAT, t(lang, "upload_file_missing", name=missing[:200]))
                continue
            inbound = self.to_inbound(line)
            if inbound is None:
                break
            try:
                await self.bot.receive(inbound)
            except CoreUnavailable as exc:
                await self.out.send_text(CHAT, exc.notice)
            await self.bot.wait_idle(CHAT)
        await self.bot.wait_idle(CHAT)
        return 0

    def _interrupt(self) -> None:
        task = asyncio.get_running_loop().create_task(self.bot.interrupt(CHAT))
        self._interrupts.add(task)
        task.add_done_callback(self._interrupts.discard)


def console_outbound(
    data_dir: Path, *, stream: TextIO | None = None, interactive: bool | None = None
) -> ConsoleOutbound:
    stream = stream or sys.stdout
    if interactive is None:
        interactive = sys.stdin.isatty() and stream.isatty()
    return ConsoleOutbound(stream=stream, interactive=interactive, exports_dir=data_dir / "exports")
