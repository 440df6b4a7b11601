"""The five skills end to end on Telegram: the real PTB adapter against the fake Bot API and the
simulator's skills. A new user: /start → /skill <alias> (the skill's greeting) → uploads → the skill's
example request → streamed reply → /status shows the right tracks → /export delivers the MP4.
"""

from __future__ import annotations

import pytest

from core.skills import PROFILES
from tests.skill_cases import CASES, SkillCase, status_lines_match
from tests.telegram.harness import TelegramHarness
from tests.telegram.updates import Json


def _media(telegram: TelegramHarness, name: str) -> Json:
    data = name.encode() * 4000
    if name.endswith(".jpg"):
        return telegram.updates.media("photo", data=data, name=name)
    kind = "video" if name.endswith(".mp4") else "audio"
    return telegram.updates.media(kind, data=data, name=name)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_a_new_user_walks_the_skill_on_telegram(case: SkillCase, telegram: TelegramHarness) -> None:
    chat = telegram.updates.private()
    chat_id = chat["id"]
    await telegram.handled(telegram.updates.message(chat, "/start"))
    before = len(telegram.fake.texts(chat_id))
    await telegram.handled(telegram.updates.message(chat, f"/skill {case.alias}"))
    switched = "\n".join(telegram.fake.texts(chat_id)[before:])
    assert f"Switched to {case.skill}" in switched
    assert PROFILES[case.skill].greeting["en"] in switched

    for name in case.uploads:
        await telegram.handled(telegram.updates.message(chat, extra=_media(telegram, name)))
    texts = telegram.fake.texts(chat_id)
    assert sum(text.startswith("📥") for text in texts) == len(case.uploads)

    before = len(telegram.fake.texts(chat_id))
    await telegram.handled(telegram.updates.message(chat, case.request))
    reply = "\n".join(telegram.fake.texts(chat_id)[before:])
    assert all(words in reply for words in case.reply), reply
    assert telegram.sim.stats.partial_events > 0, "the agent streamed its reply"
    assert "click" not in reply.lower()
    assert "drag" not in reply.lower()

    before = len(telegram.fake.texts(chat_id))
    await telegram.handled(telegram.updates.message(chat, "/status"))
    status = "\n".join(telegram.fake.texts(chat_id)[before:])
    assert status_lines_match(case, status), status

    await telegram.handled(telegram.updates.message(chat, "/export"))
    [video] = telegram.fake.sent(chat_id, "sendVideo")
    assert video.files["video"][0].endswith(".mp4")
    assert video.files["video"][1] > 0
    assert set(telegram.sim.stats.skill_sources) == {case.skill}
    assert not telegram.sim.stats.unknown_skill_sources
