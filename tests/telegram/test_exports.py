"""Exports arrive as new messages: the MP4 itself under the upload cap, a link above it."""

from __future__ import annotations

from core.i18n import t
from simulator import Endpoint, Fault, FaultKind, Scenario
from tests.telegram.fake_bot_api import MB
from tests.telegram.harness import TelegramHarness
from tests.telegram.updates import Json


async def _generate_and_export(telegram: TelegramHarness) -> Json:
    chat = telegram.updates.private()
    telegram.sim.force_next_turn(Scenario.GENERATION)
    await telegram.handled(telegram.updates.message(chat, "make a 5 second video of the sea"))
    await telegram.handled(telegram.updates.message(chat, "/export"))
    return chat


async def test_an_export_is_delivered_as_a_new_streamable_video(telegram: TelegramHarness) -> None:
    """sendVideo with supports_streaming, a caption within 1024, and the 'sending video' status."""
    chat = await _generate_and_export(telegram)
    [video] = telegram.fake.sent(chat["id"], "sendVideo")
    assert video.params["supports_streaming"] in ("true", "True", True)
    assert 0 < video.files["video"][1] <= 50 * MB
    assert video.files["video"][0].endswith(".mp4")
    assert 0 < len(video.params["caption"]) <= 1024
    assert "http" not in video.params["caption"], "links are buttons, not raw URLs in the caption"
    assert any(c.params.get("action") == "upload_video" for c in telegram.fake.calls)
    rows = video.params["reply_markup"]["inline_keyboard"]
    urls = {button["text"]: button["url"] for row in rows for button in row if "url" in button}
    assert urls["Download"].startswith("http")
    assert urls["Open in the web editor"].startswith("https://nemovideo.com/")
    assert any("callback_data" in button for row in rows for button in row), "New project stays"


async def test_the_video_carries_its_width_height_and_duration(telegram: TelegramHarness) -> None:
    """Read from the MP4's header, so the chat app sizes the player before downloading."""
    chat = await _generate_and_export(telegram)
    [video] = telegram.fake.sent(chat["id"], "sendVideo")
    width, height = int(video.params["width"]), int(video.params["height"])
    assert width > height > 0, "landscape, as rendered"
    assert int(video.params["duration"]) >= 1


async def test_an_export_over_the_upload_cap_is_delivered_as_a_link_in_a_new_message(
    telegram: TelegramHarness,
) -> None:
    """A 60 MB render is never uploaded; a fresh sendMessage carries its link."""
    telegram.sim.config.render_output_bytes = 60 * MB
    chat = await _generate_and_export(telegram)
    assert not telegram.fake.sent(chat["id"], "sendVideo")
    links = [c for c in telegram.fake.sent(chat["id"], "sendMessage") if "50 MB" in c.text]
    assert len(links) == 1
    assert "http" in links[0].text
    edits = telegram.fake.sent(chat["id"], "editMessageText")
    assert all("50 MB" not in c.text for c in edits), "the link is a new message, not an edit"


async def test_an_export_over_the_cap_names_its_real_size_and_leaves_no_finished_card(
    telegram: TelegramHarness,
) -> None:
    """Never "at ?": the size the server announced is shown; the progress card is removed, so no
    "Export finished" sits under the result."""
    telegram.sim.config.render_output_bytes = 60 * MB
    chat = await _generate_and_export(telegram)
    [link] = [c for c in telegram.fake.sent(chat["id"], "sendMessage") if "50 MB" in c.text]
    assert "60.0 MB" in link.text
    assert "?" not in link.text.split("http")[0]
    texts = telegram.fake.texts(chat["id"])
    assert t("en", "export_delivered") not in texts
    assert not any(text.startswith("🎞") for text in texts), "the progress card is gone"
    assert [c for c in telegram.fake.calls if c.method == "deleteMessage" and c.status == 200]


async def test_a_failed_download_says_so_instead_of_over_the_limit(telegram: TelegramHarness) -> None:
    """CDN and proxy both fail: the link with its own explanation, not a size complaint."""
    for endpoint in (Endpoint.RENDER_RESULT, Endpoint.RENDER_DOWNLOAD):
        telegram.sim.faults.add(Fault(kind=FaultKind.HTTP_500, endpoint=endpoint, times=None))
    chat = await _generate_and_export(telegram)
    assert not telegram.fake.sent(chat["id"], "sendVideo")
    [link] = [c for c in telegram.fake.sent(chat["id"], "sendMessage") if "couldn't fetch" in c.text]
    assert "limit" not in link.text
