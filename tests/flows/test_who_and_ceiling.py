"""/whoami, the refusal that names the sender's id, and the anonymous-account ceiling explained."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from core.chat import ChatKey, Sender
from core.i18n import t
from simulator import SimulatorConfig
from tests.flows.conftest import Harness


async def test_whoami_shows_the_ids_an_operator_needs(harness: Harness) -> None:
    """The id is in the exact form NEMOBOT_ALLOWED takes (platform:id), for the user and the chat."""
    [text] = await harness.say("/whoami", sender=Sender("4242", "Ada", "en"))
    assert text == t("en", "whoami", user="test:4242", chat="test:100")
    assert "NEMOBOT_ALLOWED" in text


@pytest.mark.parametrize("settings_changes", [{"nemobot_allowed": "test:someone-else"}])
async def test_the_refusal_tells_the_sender_their_id(harness: Harness) -> None:
    """Someone not on the list learns the id to give the operator, instead of a dead end."""
    [text] = await harness.say("hello", sender=Sender("777", "Bo", "en"))
    assert text == t("en", "not_allowed", user="test:777")


class TestTheAnonymousCeiling:
    """Without NEMO_TOKEN each chat gets an anonymous account; the backend allows about 10 per IP."""

    @pytest.fixture
    def sim_config(self, tmp_path: Path) -> SimulatorConfig:
        config = SimulatorConfig.fast(seed=11, data_dir=tmp_path / "sim", initial_credits=10_000)
        return dataclasses.replace(config, new_accounts_per_ip=2)

    async def test_the_chat_past_the_ceiling_is_told_why_and_the_operator_warned(
        self, harness: Harness, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.WARNING)
        for number in (1, 2):
            texts = await harness.say("hello", chat=ChatKey("test", f"c{number}"))
            assert texts
            assert not any("30" in text for text in texts)
        texts = await harness.say("hello", chat=ChatKey("test", "c3"))
        assert texts[-1] == t("en", "anonymous_ceiling")
        assert t("en", "rate_limited", seconds=30) not in texts
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "NEMO_TOKEN" in r.message]
        assert warnings, "the operator learns what to do from the log"
