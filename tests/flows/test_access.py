"""Access control, credit protection on a shared token, /token and operator commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from core.chat import MessageRef, Sender
from simulator import Scenario, Simulator
from storage import FernetTokens, SqliteStore, load_or_create_key
from storage.tokens import SecretKeyError
from tests.harness import CHAT, Harness

TOKEN = "nmv_usr_" + "A" * 40


@pytest.fixture
def settings_changes() -> dict[str, Any]:
    return {"nemobot_allowed": "test:friend, test:100", "nemobot_admins": "test:boss"}


class TestAllowList:
    @pytest.fixture
    def settings_changes(self) -> dict[str, Any]:
        return {"nemobot_allowed": "test:friend", "nemobot_admins": "test:boss"}

    async def test_a_stranger_gets_one_polite_refusal_then_quiet(self, harness: Harness) -> None:
        """Refused users are told once, not on every message, and nothing reaches the backend."""
        stranger = Sender("stranger", "Eve", "en")
        first = await harness.say("hello", sender=stranger)
        second = await harness.say("hello?", sender=stranger)
        assert len(first) == 1
        assert "isn't available" in first[0]
        assert second == []
        assert harness.sim.stats.turns_started == 0

    async def test_an_allowed_user_and_an_admin_are_served(self, harness: Harness) -> None:
        """Listed users and admins get normal replies."""
        assert await harness.say("/credits", sender=Sender("friend"))
        assert await harness.say("/credits", sender=Sender("boss"))


async def test_a_listed_chat_admits_all_its_members(harness: Harness) -> None:
    """A chat id in NEMOBOT_ALLOWED opens the bot to everyone in that chat."""
    texts = await harness.say("/credits", sender=Sender("anyone"))
    assert texts
    assert "isn't available" not in texts[0]


class TestSharedTokenCaps:
    @pytest.fixture
    async def settings_changes(self, sim: Simulator) -> dict[str, Any]:
        # An account the simulator knows, standing in for the operator's registered token.
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{sim.base_url}/api/auth/anonymous-token", headers={"X-Client-Id": "operator"}
            )
        token = response.json()["data"]["token"]
        return {"nemo_token": token, "nemobot_turns_per_day": 2, "nemobot_chat_turns_per_day": 5}

    async def test_turns_beyond_the_daily_cap_are_refused_with_the_reason(self, harness: Harness) -> None:
        """Two turns pass, the third is refused without reaching the backend."""
        for _ in range(2):
            await harness.say("hello")
        started = harness.sim.stats.turns_started
        texts = await harness.say("hello again")
        assert "limit of 2" in texts[-1]
        assert harness.sim.stats.turns_started == started

    async def test_credits_show_the_remaining_allowance(self, harness: Harness) -> None:
        """/credits adds the user's and the chat's remaining turns for today."""
        await harness.say("hello")
        texts = await harness.say("/credits")
        assert "1 of 2" in texts[-1]
        assert "4 of 5" in texts[-1]


@pytest.mark.parametrize("settings_changes", [{"nemobot_messages_per_minute": 3}])
async def test_rapid_messages_are_throttled_with_one_warning(harness: Harness) -> None:
    """Past the per-minute limit a user gets one 'slow down' and the rest are skipped."""
    replies = [await harness.say("/help") for _ in range(6)]
    assert all(replies[i] for i in range(3))
    assert "quickly" in replies[3][0]
    assert replies[4] == replies[5] == []


class TestOwnToken:
    async def test_token_in_a_private_chat_is_saved_and_the_message_deleted(self, harness: Harness) -> None:
        """The token message is deleted, the reply confirms, and the chat now uses that token."""
        deleted: list[MessageRef] = []

        async def delete_message(ref: MessageRef) -> bool:
            deleted.append(ref)
            return True

        harness.out.delete_message = delete_message  # type: ignore[attr-defined]
        ref = MessageRef(CHAT, "555")
        texts = await harness.say(f"/token {TOKEN}", ref=ref)
        assert deleted == [ref]
        assert "deleted your message" in texts[-1]
        assert TOKEN not in " ".join(harness.out.texts())
        record = await harness.store.get_chat(CHAT)
        assert record is not None
        assert record.user_token == TOKEN

    async def test_token_in_a_group_is_refused(self, harness: Harness) -> None:
        """Groups never take a token; nothing is stored."""
        texts = await harness.say(f"/token {TOKEN}", is_group=True)
        assert "private chat" in texts[-1]
        record = await harness.store.get_chat(CHAT)
        assert record is None or record.user_token is None

    async def test_a_malformed_token_is_not_saved(self, harness: Harness) -> None:
        """Anything that is not nmv_usr_… is refused clearly."""
        texts = await harness.say("/token hunter2")
        assert "doesn't look like" in texts[-1]

    async def test_token_clear_switches_back(self, harness: Harness) -> None:
        """/token clear removes the user's token and starts a fresh project."""
        await harness.say(f"/token {TOKEN}")
        texts = await harness.say("/token clear")
        assert "removed" in texts[-1]
        record = await harness.store.get_chat(CHAT)
        assert record is not None
        assert record.user_token is None


async def test_tokens_are_encrypted_in_the_database_file(tmp_path: Path) -> None:
    """With the Fernet cipher, neither token appears in the SQLite file in clear."""
    from core.ports import ChatRecord

    data = tmp_path / "data"
    cipher = FernetTokens(load_or_create_key(data, None))
    assert oct((data / "secret.key").stat().st_mode & 0o777) == "0o600"
    store = await SqliteStore.open(data / "nemobot.db", cipher=cipher)
    await store.save_chat(ChatRecord(CHAT, token=TOKEN, user_token=TOKEN.replace("A", "B")))
    await store.close()
    raw = b"".join(p.read_bytes() for p in data.glob("nemobot.db*"))
    assert b"nmv_usr_" not in raw
    store = await SqliteStore.open(data / "nemobot.db", cipher=FernetTokens(load_or_create_key(data, None)))
    record = await store.get_chat(CHAT)
    await store.close()
    assert record is not None
    assert record.token == TOKEN


class TestAdmin:
    @pytest.fixture
    def settings_changes(self) -> dict[str, Any]:
        return {"nemobot_admins": "test:boss"}

    async def test_admin_commands_are_for_admins_only(self, harness: Harness) -> None:
        """A regular user is told it's for operators; an admin sees usage and caps."""
        assert "operators" in (await harness.say("/admin usage", sender=Sender("u1")))[-1]
        harness.sim.force_next_turn(Scenario.CHAT)
        await harness.say("hello", sender=Sender("u1"))
        usage = await harness.say("/admin usage", sender=Sender("boss"))
        assert "test:100 · u1 · turn: 1" in usage[-1]
        caps = await harness.say("/admin caps", sender=Sender("boss"))
        assert "per user per day" in caps[-1]


async def test_a_changed_secret_key_stops_start_up_instead_of_dropping_tokens(tmp_path: Path) -> None:
    """Tokens encrypted under another key: opening the store fails with a message saying what to do."""
    from core.ports import ChatRecord

    data = tmp_path / "data"
    store = await SqliteStore.open(data / "nemobot.db", cipher=FernetTokens(load_or_create_key(data, None)))
    await store.save_chat(ChatRecord(CHAT, client_id="c1", token=TOKEN))
    await store.close()
    other = FernetTokens(b"x" * 43 + b"=")
    with pytest.raises(SecretKeyError, match="does not match the tokens stored in") as caught:
        await SqliteStore.open(data / "nemobot.db", cipher=other)
    assert "Restore the key" in str(caught.value)
    assert TOKEN not in str(caught.value)
