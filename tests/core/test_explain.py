"""Every backend error becomes the right friendly message (no raw JSON, no secrets)."""

from __future__ import annotations

import httpx
import pytest

from core.chat import ChatKey
from core.credentials import ChatAccount
from core.explain import explain
from core.nemo.auth import AnonymousTokens, StaticToken, TokenSource
from core.nemo.client import NemoClient
from core.nemo.errors import (
    AgentError,
    AuthError,
    BackendUnavailable,
    ExportNotAllowed,
    FileTooLarge,
    InsufficientCredits,
    RateLimited,
    SessionNotFound,
    StreamTimedOut,
    UnsupportedFileType,
)
from core.nemo.models import AnonymousToken, SkillAttribution
from core.nemo.transport import NemoTransport
from core.ports import ChatRecord
from core.skills import get_profile


def account(anonymous: bool) -> ChatAccount:
    transport = NemoTransport(
        httpx.AsyncClient(), "http://127.0.0.1:9", SkillAttribution("nemo-video", "1.9", "test")
    )
    tokens: TokenSource
    if anonymous:
        tokens = AnonymousTokens(
            transport, "client-1", current=AnonymousToken("nmv_usr_secret", "anon_42", None, None)
        )
    else:
        tokens = StaticToken("nmv_usr_operator")
    client = NemoClient(transport, tokens, web_url="https://nemovideo.com")
    return ChatAccount(ChatRecord(ChatKey("t", "1")), client, get_profile(None))


@pytest.mark.parametrize(
    ("error", "needle"),
    [
        (AuthError(1001), "token"),
        (SessionNotFound(1002), "session"),
        (UnsupportedFileType(4001), "MP4"),
        (FileTooLarge(4002), "trim"),
        (ExportNotAllowed(402), "register"),
        (RateLimited(429), "30"),
        (StreamTimedOut("x", idle=True), "still be working"),
        (BackendUnavailable("x"), "NemoVideo"),
        (AgentError("the model said no"), "the model said no"),
    ],
)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_error_has_its_own_friendly_message(error: Exception, needle: str, lang: str) -> None:
    """Each code maps to its message in both languages; nothing raw or secret leaks."""
    text = explain(error, account(anonymous=True), lang)  # type: ignore[arg-type]
    assert text
    assert "nmv_usr_" not in text
    assert "{" not in text
    if lang == "en":
        assert needle.lower() in text.lower()


def test_out_of_credits_for_an_anonymous_chat_links_registration_with_bind() -> None:
    """2001, anonymous: register with ?bind=<anon id> to keep the work."""
    text = explain(InsufficientCredits(2001), account(anonymous=True), "en")
    assert "https://nemovideo.com/register?bind=anon_42" in text


def test_out_of_credits_for_an_operator_token_says_top_up() -> None:
    """2001 with a registered token: top up, no bind link."""
    text = explain(InsufficientCredits(2001), account(anonymous=False), "en")
    assert "bind=" not in text
    assert "nemovideo.com" in text


def test_raw_json_from_an_agent_error_is_not_echoed() -> None:
    """An agent error whose text is JSON is summarised without the JSON."""
    text = explain(AgentError('{"detail": "boom"}'), None, "en")
    assert "detail" not in text
