"""Telegram's limits and refusals, met by the adapter and the core together."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from core.chat import Action, ChatKey
from core.i18n import labelled
from core.replies import send_safely
from simulator import Scenario
from tests.telegram.fake_bot_api import MB
from tests.telegram.fake_html import utf16
from tests.telegram.harness import TelegramHarness


async def test_a_reply_longer_than_a_message_is_split_by_telegrams_measure(telegram: TelegramHarness) -> None:
    """Emoji count twice in UTF-16: 9000 units become three messages the fake accepts."""
    chat = telegram.updates.private()
    assert telegram.adapter is not None
    assert telegram.adapter.outbound is not None
    text = "🎬 " * 3000
    await send_safely(telegram.adapter.outbound, ChatKey("telegram", str(chat["id"])), text)
    calls = [c for c in telegram.fake.calls if c.method == "sendMessage"]
    assert [c.status for c in calls] == [200, 200, 200]
    texts = telegram.fake.texts(chat["id"])
    assert all(utf16(t) <= 4096 for t in texts)
    assert "".join(texts).replace(" ", "") == text.replace(" ", "")


async def test_a_video_caption_over_1024_keeps_its_first_line_and_the_rest_follows(
    telegram: TelegramHarness, tmp_path: Path
) -> None:
    """The video goes out with a short caption; the full text and the buttons follow as a message."""
    assert telegram.adapter is not None
    assert telegram.adapter.outbound is not None
    chat = telegram.updates.private()
    clip = tmp_path / "out.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" * 100)
    caption = "✅ Your video is ready.\n" + "details " * 300
    await telegram.adapter.outbound.send_video(
        ChatKey("telegram", str(chat["id"])), clip, caption=caption, buttons=labelled("en", Action.NEW)
    )
    video, rest = telegram.fake.sent(chat["id"])
    assert (video.method, video.params["caption"]) == ("sendVideo", "✅ Your video is ready.")
    assert "reply_markup" not in video.params
    assert rest.method == "sendMessage"
    assert rest.text.strip() == caption.split("\n", 1)[1].strip()
    assert rest.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a:new"


async def test_a_429_is_waited_out_and_nothing_is_lost(telegram: TelegramHarness) -> None:
    """Stricter flood control than the pacer expects: Telegram says 429, the reply still arrives."""
    telegram.fake.flood.private = (1, 1.0)  # no burst: the second reply is refused
    chat = telegram.updates.private()
    telegram.updates.message(chat, "/credits")
    await telegram.handled(telegram.updates.message(chat, "/help"))
    assert telegram.fake.rate_limited >= 1
    refused = next(c for c in telegram.fake.calls if c.status == 429)
    texts = telegram.fake.texts(chat["id"])
    assert len(texts) == 2
    retried = telegram.fake.sent(chat["id"])[-1]
    assert retried.at - refused.at >= 0.95, "retried after retry_after"


async def test_a_reply_whose_message_was_deleted_is_sent_again(telegram: TelegramHarness) -> None:
    """'message to edit not found' mid-stream: the core sends the final text as a new message."""
    telegram.fake.drafts_supported = False  # edit-based streaming, as in groups
    telegram.sim.force_next_turn(Scenario.CHAT)
    chat = telegram.updates.private()
    update = telegram.updates.message(chat, "hello")
    [first] = await telegram.fake.wait_for(lambda: telegram.fake.sent(chat["id"], "sendMessage"))
    telegram.fake.messages.clear()  # the user deleted it
    await telegram.handled(update)
    lost = [c for c in telegram.fake.calls if c.method == "editMessageText"]
    assert lost
    assert all("message to edit not found" in c.error for c in lost)
    assert len(telegram.fake.sent(chat["id"], "sendMessage")) == 2
    [final] = telegram.fake.texts(chat["id"])
    assert final.startswith("Hi! I'm Nemo")
    assert first.text != ""


async def test_a_video_telegram_refuses_as_too_large_is_sent_as_a_link(telegram: TelegramHarness) -> None:
    """413 from sendVideo (the bot thought the cap was higher): the link goes out as a new message."""
    assert telegram.adapter is not None
    assert telegram.adapter.outbound is not None
    outbound = telegram.adapter.outbound
    # As if TELEGRAM_LOCAL_MODE were set against the cloud API: the core will try a 51 MB upload.
    outbound._limits = dataclasses.replace(outbound.limits, upload_cap=100 * MB)
    telegram.sim.config.render_output_bytes = 51 * MB
    chat = telegram.updates.private()
    telegram.sim.force_next_turn(Scenario.GENERATION)
    await telegram.handled(telegram.updates.message(chat, "make a 5 second video of rain"))
    await telegram.handled(telegram.updates.message(chat, "/export"))
    [video] = [c for c in telegram.fake.calls if c.method == "sendVideo"]
    assert video.status == 413
    links = [c for c in telegram.fake.sent(chat["id"], "sendMessage") if "http" in c.text and "✅" in c.text]
    assert len(links) == 1
