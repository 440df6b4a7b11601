"""One place that turns a failure into a short, friendly message for the chat (never raw JSON)."""

from __future__ import annotations

import logging

from core.credentials import ChatAccount
from core.i18n import Lang, t
from core.nemo.errors import (
    AgentError,
    AnonymousCeiling,
    AuthError,
    BackendUnavailable,
    ExportNotAllowed,
    FileTooLarge,
    InsufficientCredits,
    NemoError,
    RateLimited,
    SessionNotFound,
    StreamTimedOut,
    UnsupportedFileType,
    UploadIncomplete,
)

log = logging.getLogger(__name__)

SUPPORTED_FORMATS = "MP4, MOV, AVI, WEBM, MKV · JPG, PNG, GIF, WEBP · MP3, WAV, M4A, AAC"


def credits_exhausted(account: ChatAccount, lang: Lang) -> str:
    """2001: anonymous chats get the registration link that keeps their work (``?bind=``)."""
    client = account.client
    if account.anonymous:
        link = client.register_link(account.record.anon_user_id)
        return t(lang, "credits_exhausted_anon", link=link)
    return t(lang, "credits_exhausted", link=client.web_url)


def explain(exc: BaseException, account: ChatAccount | None, lang: Lang, *, filename: str = "") -> str:
    """The message to show for ``exc``; unexpected errors are logged with their traceback."""
    web = account.client.web_url if account else "https://nemovideo.com"
    if isinstance(exc, InsufficientCredits):
        if account is None:
            return t(lang, "credits_exhausted", link=web)
        return credits_exhausted(account, lang)
    if isinstance(exc, ExportNotAllowed):
        return t(lang, "export_blocked", link=f"{web}/register")
    if isinstance(exc, UnsupportedFileType):
        return t(lang, "upload_unsupported", name=filename or "file", formats=SUPPORTED_FORMATS)
    if isinstance(exc, FileTooLarge):
        return t(lang, "upload_too_large_backend", name=filename or "file", size="")
    if isinstance(exc, UploadIncomplete):
        return t(lang, "upload_failed", name=filename or "file")
    if isinstance(exc, AuthError):
        return t(lang, "auth_failed")
    if isinstance(exc, SessionNotFound):
        return t(lang, "session_expired")
    if isinstance(exc, AnonymousCeiling):
        return t(lang, "anonymous_ceiling")
    if isinstance(exc, RateLimited):
        return t(lang, "rate_limited", seconds=30)
    if isinstance(exc, StreamTimedOut):
        return t(lang, "turn_timeout")
    if isinstance(exc, AgentError):
        return t(lang, "agent_error", reason=_short(str(exc)))
    if isinstance(exc, BackendUnavailable):
        return t(lang, "backend_unavailable")
    if isinstance(exc, NemoError):
        log.warning("unmapped NemoVideo error: %s", exc)
        return t(lang, "error_generic")
    log.error("unexpected error", exc_info=exc)
    return t(lang, "error_generic")


def _short(reason: str, limit: int = 200) -> str:
    reason = " ".join(reason.split())
    if reason.startswith(("{", "[")):
        return ""
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"
