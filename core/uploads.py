"""Uploading media: check type and size before any transfer, send the rest in one request."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from core.chat import Action, Attachment, MessageRef
from core.chat_context import ChatContext
from core.explain import SUPPORTED_FORMATS, explain
from core.i18n import Lang, labelled, media_kind, t
from core.intents import AUDIO_EXTENSIONS, IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from core.metrics import METRICS
from core.nemo.errors import NemoError
from core.nemo.models import UploadedFile, UploadResult
from core.nemo.multipart import UploadSource
from core.netguard import NetGuard, UnsafeUrl
from core.ports import CardState, PlatformError
from core.replies import StreamingReply, progress_bar, send_safely

log = logging.getLogger(__name__)

# What the backend accepts (docs §2.5), by extension.
MEDIA_TYPES: dict[str, str] = {
    **dict.fromkeys(VIDEO_EXTENSIONS, "video"),
    **dict.fromkeys(IMAGE_EXTENSIONS, "image"),
    **dict.fromkeys(AUDIO_EXTENSIONS, "audio"),
}
_MIME_EXTENSIONS = {
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/x-msvideo": "avi",
    "video/webm": "webm",
    "video/x-matroska": "mkv",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
    "audio/aac": "aac",
}


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def media_extension(attachment: Attachment) -> str | None:
    """The accepted extension for an attachment, from its name first and its MIME type second."""
    suffix = PurePosixPath(attachment.name).suffix.lower().lstrip(".")
    if suffix in MEDIA_TYPES:
        return suffix
    if attachment.mime_type:
        guessed = _MIME_EXTENSIONS.get(attachment.mime_type.split(";")[0].strip().lower())
        # A name with a different, unsupported extension wins over a claimed MIME type.
        if guessed and not suffix:
            return guessed
    return None


def upload_name(attachment: Attachment, extension: str) -> str:
    """A safe file name to send: no path parts or control characters, with a media extension."""
    raw = attachment.name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in raw if ch.isprintable()).strip().strip(".") or "upload"
    stem = PurePosixPath(cleaned).stem[:80] or "upload"
    return f"{stem}.{extension}"


@dataclass(frozen=True, slots=True)
class Refusal:
    """An attachment that was not sent, with the message that says why."""

    attachment: Attachment
    message: str


def check_attachments(
    ctx: ChatContext, attachments: Sequence[Attachment]
) -> tuple[list[tuple[Attachment, str]], list[Refusal]]:
    """Split attachments into (accepted with extension, refused with reason) before any transfer."""
    lang = ctx.lang
    backend_cap = ctx.settings.nemobot_max_upload_mb * 1_000_000
    download_cap = ctx.out.limits.download_cap
    accepted: list[tuple[Attachment, str]] = []
    refused: list[Refusal] = []
    for attachment in attachments:
        extension = media_extension(attachment)
        name = attachment.name or "file"
        if extension is None and attachment.kind == "voice":
            # The user recorded a voice message; they never saw a file name, so don't show one.
            refused.append(Refusal(attachment, t(lang, "upload_voice_note")))
        elif extension is None:
            refused.append(
                Refusal(attachment, t(lang, "upload_unsupported", name=name, formats=SUPPORTED_FORMATS))
            )
        elif attachment.size == 0:
            refused.append(Refusal(attachment, t(lang, "upload_empty_file", name=name)))
        elif attachment.size is not None and attachment.size > backend_cap:
            refused.append(
                Refusal(
                    attachment,
                    t(lang, "upload_too_large_backend", name=name, size=_megabytes(attachment.size)),
                )
            )
        elif attachment.open is None or (
            download_cap is not None and attachment.size is not None and attachment.size > download_cap
        ):
            # An unknown figure is left empty: the text then drops its brackets.
            size = _megabytes(attachment.size) if attachment.size else ""
            limit = _megabytes(download_cap) if download_cap else ""
            refused.append(
                Refusal(attachment, t(lang, "upload_too_large_platform", name=name, size=size, limit=limit))
            )
        else:
            accepted.append((attachment, extension))
    return accepted, refused


def describe_file(item: UploadedFile, lang: Lang = "en") -> str:
    """One line per received file, in the chat's language: ``• clip.mp4 — video (5.0s, 1920×1080)``."""
    details: list[str] = []
    if item.duration:
        details.append(f"{item.duration:.1f} 秒" if lang == "zh" else f"{item.duration:.1f}s")
    if item.width and item.height:
        details.append(f"{item.width}×{item.height}")
    if lang == "zh":
        suffix = f"（{'，'.join(details)}）" if details else ""
    else:
        suffix = f" ({', '.join(details)})" if details else ""
    return f"• {item.filename} — {media_kind(lang, item.file_type)}{suffix}"


async def upload_attachments(
    ctx: ChatContext,
    attachments: Sequence[Attachment],
    *,
    on_progress_message: Callable[[MessageRef], Awaitable[None]] | None = None,
) -> bool:
    """Upload what can be uploaded and reply once listing it; True when anything was received.

    ``on_progress_message`` learns where the progress is shown (the upload job remembers it, so a
    restart replaces "Uploading… 34%" with what to resend)."""
    accepted, refused = check_attachments(ctx, attachments)
    for refusal in refused:
        await send_safely(ctx.out, ctx.chat, refusal.message)
    if not accepted:
        return False
    sources = [
        UploadSource(
            upload_name(a, ext),
            mimetypes.guess_type(f"x.{ext}")[0] or "application/octet-stream",
            a.open,
            a.size,
        )
        for a, ext in accepted
        if a.open is not None
    ]
    names = ", ".join(source.filename for source in sources)
    total = sum(a.size or 0 for a, _ in accepted)
    progress = StreamingReply(
        ctx.out,
        ctx.chat,
        is_group=ctx.is_group,
        on_first_message=on_progress_message,
        running_buttons=labelled(ctx.lang, Action.CANCEL),
    )
    loop = asyncio.get_running_loop()
    last = [0.0]

    def report(sent: int) -> None:
        # Cheap on every chunk: the reply coalesces, and we only compute a percent twice a second.
        if total and loop.time() - last[0] >= 0.5:
            last[0] = loop.time()
            percent = min(99, sent * 100 // total)
            progress.update(
                t(ctx.lang, "upload_progress", name=names, percent=percent, bar=progress_bar(percent))
            )

    try:
        result = await _upload_once(ctx, sources, report)
    except asyncio.CancelledError:
        await _upload_cancelled(ctx, progress)
        raise
    except NemoError as exc:
        METRICS.failed("upload")
        await progress.finish(explain(exc, ctx.account, ctx.lang, filename=names))
        return False
    except PlatformError as exc:
        METRICS.failed("upload")
        # The platform would not hand over the file (expired attachment URL, download refused).
        log.info("fetching an attachment from the platform failed: %s", exc)
        await progress.finish(t(ctx.lang, "upload_fetch_failed", name=names))
        return False
    received = "\n".join(describe_file(item, ctx.lang) for item in result.files) or names
    if progress.started:
        # The bar was on screen: let it reach 100 % before it turns into the confirmation.
        progress.update(t(ctx.lang, "upload_progress", name=names, percent=100, bar=progress_bar(100)))
        await progress.shown()
    await progress.finish(
        t(ctx.lang, "upload_received", files=received), buttons=labelled(ctx.lang, Action.STATUS)
    )
    return True


async def _upload_cancelled(ctx: ChatContext, progress: StreamingReply) -> None:
    """/cancel (or Cancel) stopped the upload: its progress message says so and loses its button."""
    if ctx.stopping():
        await progress.abandon()
        return
    # Shielded: the task is being cancelled, but the user must still hear what happened. (A reply
    # not yet on screen is sent as a new message.)
    finishing = progress.finish(t(ctx.lang, "upload_cancelled"), state=CardState.CANCELLED)
    with contextlib.suppress(Exception):
        await asyncio.shield(finishing)


async def _upload_once(
    ctx: ChatContext, sources: list[UploadSource], callback: Callable[[int], None]
) -> UploadResult:
    client = ctx.account.client
    return await ctx.in_session(
        lambda session_id: client.upload_files(session_id, sources, progress=callback)
    )


async def safe_urls(ctx: ChatContext, urls: Sequence[str]) -> list[str]:
    """The links that may be imported; each refused one (a private, loopback or link-local host,
    other than NEMO_API_URL's and NEMOBOT_TRUSTED_HOSTS) is answered with a clear message."""
    settings = ctx.settings
    guard = NetGuard.for_backend(settings.nemo_api_url, settings.nemobot_trusted_hosts)
    allowed: list[str] = []
    for url in urls:
        try:
            # The backend resolves the name, not this machine: a name unknown here is its business.
            await guard.check(url, unresolvable_ok=True)
        except UnsafeUrl as exc:
            log.info("refused a URL import in %s: %s", ctx.chat, exc)
            await send_safely(ctx.out, ctx.chat, t(ctx.lang, "upload_url_refused", url=url[:200]))
        else:
            allowed.append(url)
    return allowed


async def upload_urls(ctx: ChatContext, urls: Sequence[str]) -> bool:
    """Import media by link (the backend fetches it); one reply for all of them."""
    client = ctx.account.client
    urls = await safe_urls(ctx, urls)
    if not urls:
        return False
    try:
        result = await ctx.in_session(lambda session_id: client.upload_urls(session_id, urls))
    except NemoError as exc:
        await send_safely(ctx.out, ctx.chat, explain(exc, ctx.account, ctx.lang, filename=", ".join(urls)))
        return False
    received = "\n".join(describe_file(item, ctx.lang) for item in result.files) or "\n".join(urls)
    await send_safely(
        ctx.out,
        ctx.chat,
        t(ctx.lang, "upload_received", files=received),
        buttons=labelled(ctx.lang, Action.STATUS),
    )
    return True
