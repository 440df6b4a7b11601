"""Secrets never reach a log line: the redacting filter and the production logging set-up."""

from __future__ import annotations

import io
import logging

import pytest

from core.redact import RedactingFilter, configure_logging, redact

BOT_TOKEN = "123456789:AAHk-0123456789abcdefghijklmnopqrstu"
NEMO_TOKEN = "nmv_usr_KGdwtlGw3hBDUpV-4_FJfEgYqFbTXQuYPKPabc"


@pytest.mark.parametrize(
    "text",
    [
        f"GET https://api.telegram.org/file/bot{BOT_TOKEN}/videos/file_1.mp4",
        f"POST http://127.0.0.1:8081/bot{BOT_TOKEN}/sendMessage",
        f"token={BOT_TOKEN}",
        f"Authorization: Bearer {NEMO_TOKEN}",
        f"the token {NEMO_TOKEN} was rejected",
        "discord token MTA4NjE2MjQ1NzI1MjM5MjE5OA.GqXy1a.abcdefghijklmnopqrstuvwxyz0123456789AB",
    ],
)
def test_every_kind_of_secret_is_masked(text: str) -> None:
    """Bot tokens, Telegram file URLs, NemoVideo tokens and bearer headers are all masked."""
    cleaned = redact(text)
    assert BOT_TOKEN not in cleaned
    assert NEMO_TOKEN not in cleaned
    assert "abcdefghijklmnopqrstuvwxyz0123456789AB" not in cleaned


def test_plain_text_is_left_alone() -> None:
    """Ordinary messages, links and numbers pass unchanged."""
    text = "Rendering 45% · https://nemovideo.com/workspace/claim?ct=... · chat 123456"
    assert redact(text) == text


def test_the_filter_masks_arguments_and_tracebacks() -> None:
    """Secrets in %-arguments and in exception text are masked in the emitted line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("calling %s", f"https://api.telegram.org/bot{BOT_TOKEN}/getMe")
        try:
            raise RuntimeError(f"bad token {NEMO_TOKEN}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert BOT_TOKEN not in output
    assert NEMO_TOKEN not in output
    assert "<redacted" in output


def test_production_logging_silences_request_urls_and_redacts() -> None:
    """configure_logging: httpx request lines (which carry Telegram's token) stay below the level."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        configure_logging("INFO", (NEMO_TOKEN,))
        assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
        handler = root.handlers[0]
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s", (NEMO_TOKEN,), None)
        assert all(f.filter(record) for f in handler.filters if isinstance(f, logging.Filter))
        assert NEMO_TOKEN not in record.getMessage()
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        logging.getLogger("httpx").setLevel(logging.NOTSET)
        for name in ("httpcore", "telegram.ext", "discord", "aiohttp.access"):
            logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://nemobot:s3cr3t-pa55@db.internal:5432/nemobot",
        "postgres://nemobot:s3cr3t-pa55@10.0.0.5/nemobot?sslmode=require",
    ],
)
def test_a_database_url_password_is_masked_and_the_rest_kept(url: str) -> None:
    """DATABASE_URL may carry a password: masked; user, host and database stay readable."""
    cleaned = redact(f"could not connect to {url}")
    assert "s3cr3t-pa55" not in cleaned
    assert "nemobot:<redacted>@" in cleaned
