"""/token on Telegram: the message carrying the token is deleted (private chats; groups where the
bot may), and no form of the token is ever sent back."""

from __future__ import annotations

from bots.discord_bot.formatting import quote_prompt
from tests.fakes import SECRET
from tests.telegram.harness import TelegramHarness

TOKEN = "nmv_usr_abcdefghijklmnopqrstuvwxyz0123"


def _all_sent_text(telegram: TelegramHarness) -> str:
    return "\n".join(
        str(call.params.get("text") or call.params.get("caption") or "") for call in telegram.fake.calls
    )


async def test_a_token_message_in_a_private_chat_is_deleted_and_never_echoed(
    telegram: TelegramHarness,
) -> None:
    chat = telegram.updates.private()
    update = telegram.updates.message(chat, f"/token {TOKEN}")
    await telegram.handled(update)
    assert (chat["id"], update["message"]["message_id"]) in telegram.fake.deleted
    assert not SECRET.search(_all_sent_text(telegram))
    # The reply says it was deleted.
    assert "deleted" in telegram.fake.texts(chat["id"])[-1].lower()


async def test_in_a_group_the_token_message_is_deleted_where_the_bot_may(telegram: TelegramHarness) -> None:
    """An admin bot deletes it; elsewhere Telegram refuses and the user is told it is still there."""
    allowed = telegram.updates.group(-100300)
    telegram.fake.admin_in.add(allowed["id"])
    first = telegram.updates.message(allowed, f"/token {TOKEN}")
    await telegram.handled(first)
    assert (allowed["id"], first["message"]["message_id"]) in telegram.fake.deleted
    refused = telegram.updates.group(-100400)
    second = telegram.updates.message(refused, f"/token {TOKEN}")
    await telegram.handled(second)
    assert (refused["id"], second["message"]["message_id"]) not in telegram.fake.deleted
    assert not SECRET.search(_all_sent_text(telegram))


def test_discord_never_quotes_a_prompt_carrying_a_token() -> None:
    """The "working on it" note quotes the prompt, except when it holds a token in any form."""
    for form in (TOKEN, TOKEN.replace("_", r"\_"), TOKEN.replace("_", "&#95;")):
        assert quote_prompt(f"use {form} please") == ""
    assert quote_prompt("make it blue") == "> make it blue"
