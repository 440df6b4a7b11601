"""Commands, intents in both languages, skills and languages through the core."""

from __future__ import annotations

import pytest

from core.chat import Action, Sender
from core.inbound import Press
from core.skills import PROFILES
from simulator import Endpoint, Scenario
from tests.flows.conftest import CHAT, Harness


@pytest.mark.parametrize(
    "phrase", ["credits", "balance", "how many credits do I have", "积分", "余额", "/credits"]
)
async def test_credit_phrases_show_available_frozen_and_total(harness: Harness, phrase: str) -> None:
    """Credits intents in English and Chinese answer with the balance, without an agent turn."""
    texts = await harness.say(phrase)
    assert texts
    assert any(char.isdigit() for char in texts[-1])
    assert harness.sim.stats.turns_started == 0


@pytest.mark.parametrize("phrase", ["status", "show me the tracks", "状态", "/status"])
async def test_status_phrases_show_the_timeline(harness: Harness, phrase: str) -> None:
    """Status intents in both languages summarise the draft and the uploads, in the chat's language."""
    harness.sim.force_next_turn(Scenario.GENERATION)
    await harness.say("make a video of a harbour")
    texts = await harness.say(phrase)
    assert ("视频" if phrase == "状态" else "Video") in texts[-1]
    assert Action.EXPORT in harness.out.messages[-1].buttons


async def test_status_before_anything_happened_says_how_to_start(harness: Harness) -> None:
    """No session yet: a friendly hint, no backend state call."""
    texts = await harness.say("/status")
    assert texts
    assert harness.sim.stats.requests[Endpoint.STATE] == 0


async def test_new_starts_a_fresh_session(harness: Harness) -> None:
    """/new replaces the session; the next turn goes to the new one."""
    await harness.say("hello")
    old = await harness.session_id()
    texts = await harness.say("/new")
    assert texts
    assert await harness.session_id() != old


@pytest.mark.parametrize("command", ["/start", "/help"])
@pytest.mark.parametrize(("locale", "marker"), [("en", "/export"), ("zh-hans", "导出")])
async def test_start_and_help_greet_with_the_skill_profile_in_the_senders_language(
    harness: Harness, command: str, locale: str, marker: str
) -> None:
    """The greeting comes from the active skill profile, in the sender's language."""
    texts = await harness.say(command, sender=Sender("u1", "Ada", locale))
    assert marker in texts[-1]


@pytest.mark.parametrize("name", sorted(PROFILES))
async def test_each_skill_profile_greets_and_attributes_its_calls(harness: Harness, name: str) -> None:
    """/skill NAME switches the chat: its greeting is shown and X-Skill-Source carries its name."""
    texts = await harness.say(f"/skill {name}")
    assert PROFILES[name].greeting["en"].split()[0] in texts[-1]
    harness.requests.clear()
    await harness.say("hello")
    skill_calls = [r for r in harness.requests if "X-Skill-Source" in r.headers]
    assert skill_calls
    for request in skill_calls:
        assert request.headers["X-Skill-Source"] == name
        assert request.headers["X-Skill-Version"] == PROFILES[name].version
        assert request.headers["X-Skill-Platform"] == "unknown"
        assert request.headers.get("Authorization", "").startswith(
            "Bearer nmv_usr_"
        ) or "anonymous-token" in str(request.url)


async def test_an_unknown_skill_lists_the_choices(harness: Harness) -> None:
    """A typo in /skill lists the profiles instead of failing."""
    texts = await harness.say("/skill banana")
    assert "nemo-video" in texts[-1]


async def test_lang_switches_the_bots_language_and_the_sessions(harness: Harness) -> None:
    """/lang zh answers in Chinese from then on, and new sessions are created with zh-CN."""
    await harness.say("/lang zh")
    texts = await harness.say("/help")
    assert "导出" in texts[-1]
    await harness.say("hello")
    record = await harness.store.get_chat(CHAT)
    assert record is not None
    assert record.session_id is not None
    session = harness.sim.backend.sessions.get(record.session_id)
    assert session is not None
    assert session.language == "zh-CN"


async def test_chinese_text_gets_chinese_replies(harness: Harness) -> None:
    """With no override, a Chinese message is answered in Chinese."""
    texts = await harness.say("积分")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in texts[-1])


@pytest.mark.parametrize("text", ["", "   ", "/frobnicate", "/skill@otherbot music"])
async def test_empty_and_unknown_input_gets_a_friendly_answer(harness: Harness, text: str) -> None:
    """Nothing is silent: empty text and unknown commands get a short helpful reply."""
    texts = await harness.say(text)
    assert len(texts) == 1
    assert harness.sim.stats.turns_started == 0


async def test_a_huge_message_is_refused_with_the_limit(harness: Harness) -> None:
    """A paste far beyond a prompt's size is not sent to the agent."""
    texts = await harness.say("word " * 5000)
    assert "4000" in texts[-1]
    assert harness.sim.stats.turns_started == 0


async def test_buttons_run_the_same_actions_as_commands(harness: Harness) -> None:
    """Pressing Credits is the same as typing /credits."""
    await harness.bot.press(Press(CHAT, Action.CREDITS, Sender("u1")))
    await harness.bot.wait_idle(CHAT)
    assert any(char.isdigit() for char in harness.out.messages[-1].text)


async def test_a_redelivered_button_press_runs_once(harness: Harness) -> None:
    """The same press id twice (a platform redelivery) runs the action once."""
    for _ in range(2):
        await harness.bot.press(Press(CHAT, Action.CREDITS, Sender("u1"), press_id="cb-1"))
    await harness.bot.wait_idle(CHAT)
    assert len(harness.out.messages) == 1
