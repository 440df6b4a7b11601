"""Webhook mode: setWebhook with a secret, updates POSTed to us, the secret checked on each."""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx
import pytest

from tests.telegram.harness import TelegramHarness, chat_of

SECRET = "s3cret-token_for-tests"


@pytest.fixture
def telegram_changes() -> dict[str, Any]:
    return {
        "telegram_webhook_url": "https://bot.example.test/tg/hook",
        "telegram_webhook_secret": SECRET,
        "telegram_webhook_listen": "127.0.0.1",
        "telegram_webhook_port": 0,
    }


async def test_webhook_updates_are_answered_only_with_the_secret_and_only_once(
    telegram: TelegramHarness,
) -> None:
    """Wrong secret: 403 and ignored. Right secret: answered. The same update again: ignored."""
    fake = telegram.fake
    assert fake.webhook is not None
    assert fake.webhook["url"] == "https://bot.example.test/tg/hook"
    assert fake.webhook["secret_token"] == SECRET
    assert fake.webhook["allowed_updates"] == ["message", "callback_query"]
    assert not [c for c in fake.calls if c.method == "getUpdates"], "no polling in webhook mode"

    assert telegram.adapter is not None
    assert telegram.bot is not None
    url = f"http://127.0.0.1:{telegram.adapter.webhook_port}/tg/hook"
    chat = telegram.updates.private()
    update = telegram.updates.message(chat, "/credits", push=False) | {"update_id": 77}
    async with httpx.AsyncClient() as client:
        forged = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
        assert forged.status_code == 403
        for _delivery in range(2):  # Telegram retries when it is unsure we got it
            answer = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            assert answer.status_code == 200
            await telegram.bot.wait_idle(chat_of(update))
        garbage = await client.post(url, content=b"{", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert garbage.status_code == 400
    [text] = fake.texts(chat["id"])
    assert text.startswith("💳")


async def test_an_update_the_core_cannot_store_gets_an_error_answer_then_is_taken(
    telegram: TelegramHarness,
) -> None:
    """The database is locked: 503, so Telegram delivers it again; once unlocked: 200 and answered."""
    await telegram.stop()
    telegram.store_busy_timeout_ms = 20
    await telegram.start()
    assert telegram.adapter is not None
    url = f"http://127.0.0.1:{telegram.adapter.webhook_port}/tg/hook"
    chat = telegram.updates.private()
    update = telegram.updates.message(chat, "/help", push=False) | {"update_id": 78}
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    lock = sqlite3.connect(telegram.tmp_path / "data" / "nemobot.db", isolation_level=None)
    async with httpx.AsyncClient() as client:
        try:
            lock.execute("BEGIN EXCLUSIVE")
            refused = await client.post(url, json=update, headers=headers)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        taken = await client.post(url, json=update, headers=headers)
    assert (refused.status_code, taken.status_code) == (503, 200)
    assert telegram.bot is not None
    await telegram.bot.wait_idle(chat_of(update))
    assert len(telegram.fake.texts(chat["id"])) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 200_000 + b"]" * 200_000,
        b'{"update_id": {"a": ' * 5_000 + b"1" + b"}" * 5_000 + b"}",
        b'{"update_id": "77"}',
        b'{"update_id": 7.5}',
        b'{"update_id": true}',
        b'{"update_id": 9, "message": "not a message"}',
        b'{"update_id": 9, "message": {"message_id": "x", "chat": 5}}',
        b"[]",
        b"null",
        b"\xff\xfe{",
    ],
)
async def test_json_that_is_not_an_update_gets_400_not_a_traceback(
    telegram: TelegramHarness, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """Deep nesting, non-integer update_id, wrong shapes, bad encoding: 400, and the bot carries on."""
    assert telegram.adapter is not None
    url = f"http://127.0.0.1:{telegram.adapter.webhook_port}/tg/hook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    async with httpx.AsyncClient() as client:
        answer = await client.post(url, content=body, headers=headers)
        assert answer.status_code == 400
        chat = telegram.updates.private()
        update = telegram.updates.message(chat, "/help", push=False) | {"update_id": 501}
        assert (await client.post(url, json=update, headers=headers)).status_code == 200
    assert not [r for r in caplog.records if r.exc_info]


async def test_requests_without_the_secret_are_logged_at_a_limited_rate(
    telegram: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """A scanner sending 50 forged requests leaves one warning, not fifty."""
    assert telegram.adapter is not None
    url = f"http://127.0.0.1:{telegram.adapter.webhook_port}/tg/hook"
    async with httpx.AsyncClient() as client:
        for _ in range(50):
            forged = await client.post(
                url, json={"update_id": 1}, headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
            )
            assert forged.status_code == 403
    warnings = [r for r in caplog.records if "without the right secret" in r.getMessage()]
    assert len(warnings) == 1
