"""Files from users: every kind, albums, refusals before any download, and no token leaking."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from core.i18n import t
from simulator import Endpoint
from tests.telegram.fake_bot_api import MB, TOKEN
from tests.telegram.harness import TelegramHarness
from tests.telegram.updates import person

CONTENT = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40


@pytest.fixture
def telegram_changes() -> dict[str, Any]:
    # Long enough that the album test can watch the poller hold back confirmation meanwhile.
    return {"telegram_album_wait_s": 0.6}


def uploaded_files(telegram: TelegramHarness) -> list[Path]:
    return sorted(p for p in telegram.sim.data_dir.rglob("*") if p.is_file() and p.suffix != ".json")


KINDS = [  # kind, file_name, mime type, the extension the editor receives
    ("video", None, None, ".mp4"),
    ("audio", "song.mp3", None, ".mp3"),
    ("video_note", None, None, ".mp4"),
    ("photo", None, None, ".jpg"),
    ("document", "holiday.mov", "video/quicktime", ".mov"),
    ("animation", "party.mp4", None, ".mp4"),
]


async def test_each_kind_of_file_reaches_the_editor_intact(telegram: TelegramHarness) -> None:
    """Six users send six kinds at once: each file is fetched through getFile and uploaded unchanged."""
    sent = []
    for number, (kind, name, mime, suffix) in enumerate(KINDS):
        user = person(7000 + number, name=kind)
        chat = telegram.updates.private(user)
        data = CONTENT + kind.encode()
        media = telegram.updates.media(kind, data=data, name=name, mime=mime)
        sent.append((kind, suffix, data, chat, telegram.updates.message(chat, extra=media, sender=user)))
    await asyncio.gather(*(telegram.handled(update) for *_rest, update in sent))

    stored = {path.read_bytes(): path for path in uploaded_files(telegram)}
    for kind, suffix, data, chat, _update in sent:
        assert telegram.fake.texts(chat["id"])[-1].startswith("📥"), kind
        assert data in stored, f"{kind}: the largest size, byte for byte"
        assert stored[data].suffix == suffix, kind
        # The token-bearing file URL stays inside the adapter.
        assert all(TOKEN not in text for text in telegram.fake.texts(chat["id"])), kind
        assert TOKEN not in str(stored[data]), kind
    assert telegram.sim.stats.uploaded_files == len(KINDS)


async def test_a_voice_note_is_refused_with_the_accepted_formats_and_never_fetched(
    telegram: TelegramHarness,
) -> None:
    """OGG voice notes are not editable media: an answer in the user's words ("voice message"),
    naming the audio formats that work, never a file name they never saw."""
    chat = telegram.updates.private()
    await telegram.handled(
        telegram.updates.message(chat, extra=telegram.updates.media("voice", data=b"OggS"))
    )
    [text] = telegram.fake.texts(chat["id"])
    assert text == t("en", "upload_voice_note")
    assert "voice_" not in text
    assert ".ogg" not in text
    assert "MP3, WAV, M4A, AAC" in text
    assert not [c for c in telegram.fake.calls if c.method == "getFile"]
    assert telegram.sim.stats.uploaded_files == 0


async def test_a_file_over_the_download_cap_is_answered_at_once_without_fetching(
    telegram: TelegramHarness,
) -> None:
    """A 30 MB video: refused from its declared size within 2 s, and getFile is never called."""
    chat = telegram.updates.private()
    media = telegram.updates.media("video", size=30 * MB)
    started = time.monotonic()
    update = telegram.updates.message(chat, extra=media)
    reply = await telegram.fake.wait_for(lambda: telegram.fake.sent(chat["id"]), within_s=2.0)
    assert reply[0].at - started < 2.0
    await telegram.handled(update)
    [text] = telegram.fake.texts(chat["id"])
    assert "30.0 MB" in text
    assert "20.0 MB" in text
    assert not [c for c in telegram.fake.calls if c.method in ("getFile", "download")]


async def test_an_album_becomes_one_upload_with_one_reply(telegram: TelegramHarness) -> None:
    """Three files sharing a media_group_id: one upload, one reply, confirmed only once delivered."""
    chat = telegram.updates.private()
    parts = [
        telegram.updates.message(
            chat, extra={"media_group_id": "alb1", **telegram.updates.media(kind, data=CONTENT)}
        )
        for kind in ("photo", "video", "photo")
    ]
    first, last = int(parts[0]["update_id"]), int(parts[-1]["update_id"])
    await telegram.handled(parts[-1])

    assert telegram.sim.stats.requests[Endpoint.UPLOAD] == 1
    assert telegram.sim.stats.uploaded_files == 3
    [reply] = telegram.fake.texts(chat["id"])
    assert reply.startswith("📥")
    assert reply.count("•") == 3
    offsets = [int(c.params.get("offset") or 0) for c in telegram.fake.calls if c.method == "getUpdates"]
    assert first in offsets, "confirmation was held at the album's first update while it was gathered"
    assert telegram.fake.confirmed_offset > last
