"""Keeping secrets out of logs and chat: NemoVideo tokens, bot tokens and Telegram file URLs."""

from __future__ import annotations

import logging
import re

# An underscore as it may reach a chat or a log: plain, Markdown-escaped (``\\_``), as an HTML
# entity (``&#95;``, ``&#x5f;``, ``&lowbar;``) or URL-encoded (``%5F``). A token in any of these
# forms is still the token.
_UNDERSCORE = r"(?:_|\\_|&#0*95;|&#[xX]0*5[fF];|&lowbar;|%5[fF])"
NEMO_TOKEN = re.compile(
    rf"nmv{_UNDERSCORE}usr{_UNDERSCORE}(?!<redacted>)(?:[A-Za-z0-9\-]|{_UNDERSCORE})+", re.IGNORECASE
)


def carries_token(text: str) -> bool:
    """True when ``text`` holds a NemoVideo user token in any of the forms above."""
    return NEMO_TOKEN.search(text) is not None


Rule = tuple[re.Pattern[str], str]

# Telegram file and API URLs carry the bot token in the path.
_TELEGRAM_URL: Rule = (re.compile(r"(https?://[^\s/]+/(?:file/)?bot)\d+:[A-Za-z0-9_-]+"), r"\1<redacted>")
# Bare Telegram bot tokens: <bot id>:<35 url-safe chars>.
_BOT_TOKEN: Rule = (re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}\b"), "<redacted-bot-token>")
_NEMO: Rule = (NEMO_TOKEN, "nmv_usr_<redacted>")
# Discord bot tokens: three dot-separated base64url parts.
_DISCORD_TOKEN: Rule = (
    re.compile(r"\b[MNO][A-Za-z0-9_-]{22,30}\.[A-Za-z0-9_-]{5,8}\.[A-Za-z0-9_-]{25,45}\b"),
    "<redacted-discord-token>",
)

_PATTERNS: tuple[Rule, ...] = (
    _TELEGRAM_URL,
    _BOT_TOKEN,
    _NEMO,
    # NemoVideo claim tokens (in logs only: in a chat they are the user's web-editor link).
    (re.compile(r"clm_[A-Za-z0-9_\-]{8,}"), "clm_<redacted>"),
    _DISCORD_TOKEN,
    # Discord interaction and webhook tokens travel in URL paths (discord.py logs them at DEBUG).
    (re.compile(r"(/(?:webhooks|interactions)/\d+/)[A-Za-z0-9_.\-]{20,}"), r"\1<redacted>"),
    # Database URLs with a password (DATABASE_URL=postgresql://user:password@host/db).
    (re.compile(r"(?i)(postgres(?:ql)?://[^:/@\s]*):[^@\s]+@"), r"\1:<redacted>@"),
    # Bearer headers of any kind.
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1<redacted>"),
)
# In chat text, claim tokens are meant for the user and "bearer …" is ordinary English.
_CHAT_PATTERNS: tuple[Rule, ...] = (_TELEGRAM_URL, _BOT_TOKEN, _NEMO, _DISCORD_TOKEN)


def redact_for_chat(text: str) -> str:
    """``text`` with API, bot and platform tokens masked, for a message the bot is about to send:
    whatever the agent or a user's own message carried, no token is ever echoed into a chat."""
    for pattern, replacement in _CHAT_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(text: str, extra_secrets: tuple[str, ...] = ()) -> str:
    """``text`` with every known kind of secret (and each of ``extra_secrets``) masked."""
    for secret in extra_secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the formatted message (arguments included)."""

    def __init__(self, extra_secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._extra = extra_secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self._extra)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._extra)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(level: str = "INFO", extra_secrets: tuple[str, ...] = ()) -> None:
    """Root logging to stderr with secrets redacted; httpx's per-request lines only at DEBUG."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(extra_secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; PTB's URLs contain the bot token.
    for noisy in ("httpx", "httpcore", "telegram.ext", "discord", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(level), logging.WARNING))
