"""Fetching a user's file from Telegram for the core, through a temporary file.

A Telegram file URL contains the bot token, so it stays inside this module: the core gets bytes,
never a URL, and errors are reported without it.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from core.chat import Attachment
from core.nemo.multipart import read_file_chunks
from core.ports import PlatformError
from core.redact import redact

log = logging.getLogger(__name__)

T = TypeVar("T")


class DownloadFailed(PlatformError):
    """Telegram did not hand over a file (too big for getFile, expired, network)."""


@dataclass(frozen=True, slots=True)
class FileOpener:
    """``Attachment.open`` for one Telegram file: each call streams it afresh."""

    downloads: Downloads
    file_id: str

    def __call__(self) -> AsyncIterator[bytes]:
        return self.downloads.stream(self.file_id)


class Downloads:
    """Makes ``Attachment.open`` factories that stream a Telegram file from a temporary copy.

    ``download_to_drive`` writes the file into a private temporary directory (in local mode it
    copies it from the Bot API server's disk); its chunks are then read off the event loop and the
    directory is removed when the stream ends or is closed.
    """

    def __init__(self, bot: Bot, *, timeout_s: float, secrets: tuple[str, ...] = ()) -> None:
        self._bot = bot
        self._timeout_s = timeout_s
        self._secrets = secrets

    def opener(self, file_id: str) -> FileOpener:
        """A factory the core calls once per upload attempt."""
        return FileOpener(self, file_id)

    async def with_known_sizes(
        self, attachments: Sequence[Attachment], download_cap: int | None
    ) -> tuple[Attachment, ...]:
        """Ask getFile (which downloads nothing) about files Telegram sent without a size.

        Almost every file has ``file_size``; for the rare one without, this tells the core before
        the upload starts whether Telegram will hand it over at all.
        """
        resolved: list[Attachment] = []
        for attachment in attachments:
            opener = attachment.open
            if attachment.size is None and download_cap is not None and isinstance(opener, FileOpener):
                try:
                    found = await self._bot.get_file(opener.file_id)
                    attachment = replace(attachment, size=found.file_size)
                except BadRequest as exc:
                    if "too big" in exc.message.lower():
                        attachment = replace(attachment, open=None, ref=None)
                except TelegramError as exc:
                    log.info("getFile before upload failed: %s", redact(exc.message, self._secrets))
            resolved.append(attachment)
        return tuple(resolved)

    async def stream(self, file_id: str) -> AsyncIterator[bytes]:
        """The file's bytes: from the local server's disk as it is, else via a private temporary copy."""
        telegram_file = await self._guarded(self._bot.get_file(file_id, read_timeout=self._timeout_s))
        local = Path(telegram_file.file_path or "")
        if local.is_absolute() and await asyncio.to_thread(local.is_file):
            # A local Bot API server hands over a path on its disk: read it in place, no copy.
            async for chunk in read_file_chunks(local):
                yield chunk
            return
        with tempfile.TemporaryDirectory(prefix="nemobot-telegram-") as folder:
            path = Path(folder) / "download"
            await self._guarded(
                telegram_file.download_to_drive(
                    path, read_timeout=self._timeout_s, write_timeout=self._timeout_s
                )
            )
            async for chunk in read_file_chunks(path):
                yield chunk

    async def _guarded(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except TelegramError as exc:
            # The cause is dropped on purpose: PTB's transport errors can quote the file URL.
            reason = redact(f"{type(exc).__name__}: {exc.message}", self._secrets)
            log.info("telegram file download failed: %s", reason)
            raise DownloadFailed(reason) from None
