"""What a Discord user sees, second pass: Cancel on running job cards, quick commands answered in
place, /video token and /video admin kept private, and /video upload's hint without a file."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from core.i18n import t
from core.redact import RedactingFilter
from core.skills import get_profile
from simulator import Fault, FaultKind, Scenario, Simulator
from tests.discord_bot.conftest import World, running_stack

EPHEMERAL = 64
RESPONDED = 4  # CHANNEL_MESSAGE_WITH_SOURCE: the answer is the response itself
DEFERRED = 5
TOKEN = "nmv_usr_" + "q7Lw2Rk9Zp4Xv8Ty1Mn6"


def _job_states(data: Path) -> dict[str, int]:
    with sqlite3.connect(data / "nemobot.db") as db:
        rows = db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
    return {str(state): int(count) for state, count in rows}


async def test_a_running_turn_has_a_cancel_button_only_its_requester_can_use(
    sim: Simulator, world: World, tmp_path: Path
) -> None:
    """The running reply carries Cancel; Bob's press is refused privately, Ada's stops the turn
    (stored as cancelled) and the button is gone from the message."""
    discord = world.discord
    data = tmp_path / "data"
    async with running_stack(sim, world, data, core={"nemobot_still_working_s": 0.1}) as stack:
        quiet = Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=5.0)
        sim.force_next_turn(Scenario.GENERATION, faults=[quiet])
        await discord.user_message(world.general, world.ada, "make a video of the sea", mention=True)

        def running() -> list[Any]:
            return [m for m in discord.bot_messages(world.general) if "nemobot:cancel" in m.custom_ids]

        (card,) = await discord.wait_for(running)
        refused = await discord.click(card, world.bob, "nemobot:cancel")
        await discord.wait_for(lambda: refused.followups)
        assert refused.followups[0].payload["flags"] & EPHEMERAL
        assert t("en", "reset_not_allowed") in refused.followups[0].content
        assert stack.bot.busy(stack.chat(world.general)), "still running after Bob's press"

        await discord.click(card, world.ada, "nemobot:cancel")
        await discord.wait_for(lambda: "Stopped" in card.content)
        await stack.idle(world.general)
        assert "nemobot:cancel" not in card.custom_ids, "the button went away with the job"
        assert not running()
    assert _job_states(data).get("cancelled") == 1


async def test_quick_commands_answer_in_place(sim: Simulator, world: World, tmp_path: Path) -> None:
    """/video help is the response itself (ephemeral, never deferred); /video status needs the
    backend, so it is deferred publicly and the original response becomes the answer, with its
    buttons. Neither posts a second message."""
    discord = world.discord
    # A deferral only for answers that need the backend: the safety net as late as allowed.
    async with running_stack(sim, world, tmp_path / "data", discord_answer_defer_s=2.5) as stack:
        sim.force_next_turn(Scenario.GENERATION)
        await discord.user_message(world.general, world.ada, "make a video of a harbour", mention=True)
        await discord.wait_for(
            lambda: any("nemobot:export" in m.custom_ids for m in discord.bot_messages(world.general))
        )
        await stack.idle(world.general)
        before = len(discord.bot_messages(world.general))

        help_ = await discord.slash(world.general, world.bob, "help")
        status = await discord.slash(world.general, world.bob, "status")
        await discord.wait_for(lambda: help_.original and status.original and "Timeline" in status.original)
        await stack.idle(world.general)

    assert help_.ack_type == RESPONDED
    assert help_.ack_flags & EPHEMERAL
    assert "/video status" in (help_.original or "")
    assert status.ack_type == DEFERRED
    assert not status.ack_flags & EPHEMERAL
    assert "nemobot:export" in status.original_ids
    assert not help_.followups
    assert not status.followups
    assert len(discord.bot_messages(world.general)) == before, "no second message"


async def test_video_token_in_a_server_channel_is_refused_privately_and_never_echoed(
    sim: Simulator, world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """In a guild channel the token is not saved; the refusal is ephemeral and says where to go.
    In a DM it is saved. The value appears in no response, message or log line of ours."""
    discord = world.discord
    data = tmp_path / "data"
    dm = discord.add_channel(None, "dm", recipient=world.ada)
    caplog.set_level(logging.DEBUG)
    async with running_stack(sim, world, data) as stack:
        refused = await discord.slash(world.general, world.ada, "token", value=TOKEN)
        saved = await discord.slash(dm, world.ada, "token", value=TOKEN)
        await discord.wait_for(lambda: refused.original and saved.original)
        record = await stack.store.get_chat(stack.chat(world.general))
        dm_record = await stack.store.get_chat(stack.chat(dm))

    assert refused.ack_flags & EPHEMERAL
    assert "direct message" in (refused.original or "")
    assert record is None or record.user_token is None, "nothing saved in the server channel"
    assert saved.ack_flags & EPHEMERAL
    assert dm_record is not None
    assert dm_record.user_token == TOKEN
    shown = [refused.original, saved.original, *(m.content for m in discord.bot_messages(world.general))]
    assert not [text for text in shown if text and "q7Lw2Rk9Zp4Xv8Ty1Mn6" in text]
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("core", "bots", "storage")]
    assert not [r for r in ours if "q7Lw2Rk9Zp4Xv8Ty1Mn6" in r.getMessage()]
    # discord.py logs gateway payloads at DEBUG; the handler filter nemobot installs masks them.
    masking = RedactingFilter()
    for entry in caplog.records:
        masking.filter(entry)
        assert "q7Lw2Rk9Zp4Xv8Ty1Mn6" not in entry.getMessage()


async def test_video_admin_is_for_operators_only_and_private(
    sim: Simulator, world: World, tmp_path: Path
) -> None:
    """/video admin usage: Bob (not in NEMOBOT_ADMINS) is refused, Ada gets the report; both only
    see it themselves, even in a server channel. /video whoami tells Bob his id, privately too."""
    discord = world.discord
    admins = f"discord:{world.ada.id}"
    async with running_stack(sim, world, tmp_path / "data", core={"nemobot_admins": admins}):
        bob = await discord.slash(world.general, world.bob, "admin", report="usage")
        ada = await discord.slash(world.general, world.ada, "admin", report="usage")
        caps = await discord.slash(world.general, world.ada, "admin", report="caps")
        whoami = await discord.slash(world.general, world.bob, "whoami")
        await discord.wait_for(lambda: bob.original and ada.original and caps.original and whoami.original)

    assert all(i.ack_flags & EPHEMERAL for i in (bob, ada, caps, whoami))
    assert f"discord:{world.bob.id}" in (whoami.original or ""), "the id an operator puts in NEMOBOT_ADMINS"
    assert bob.original == t("en", "admin_only")
    assert (ada.original or "").startswith("Usage on ")
    assert (caps.original or "").startswith("Caps: ")
    assert not discord.bot_messages(world.general)


async def test_video_upload_without_a_file_shows_the_skills_upload_hint(
    sim: Simulator, world: World, tmp_path: Path
) -> None:
    """No file and no link: the hint of the channel's editing mode (its formats), privately."""
    discord = world.discord
    async with running_stack(sim, world, tmp_path / "data") as stack:
        hint = await discord.slash(world.general, world.ada, "upload")
        await discord.wait_for(lambda: hint.original)
        await stack.idle(world.general)
    profile = get_profile(stack.bot.settings.nemo_skill)
    expected = profile.upload_hint("en")
    assert hint.ack_flags & EPHEMERAL
    assert hint.original is not None
    assert expected.splitlines()[0][:30] in hint.original
    assert not discord.bot_messages(world.general)


async def test_a_quick_command_the_core_answers_with_silence_leaves_no_thinking_behind(
    sim: Simulator, world: World, tmp_path: Path
) -> None:
    """Over the message rate, the first extra /video help hears "slow down" (privately), the next
    nothing: its acknowledged response is removed rather than left "thinking…" forever."""
    discord = world.discord
    async with running_stack(sim, world, tmp_path / "data", core={"nemobot_messages_per_minute": 1}):
        fired = [await discord.slash(world.general, world.ada, "help") for _ in range(3)]
        await discord.wait_for(lambda: fired[0].original and fired[1].original and fired[2].original_deleted)

    assert "/video status" in (fired[0].original or "")
    assert fired[1].original == t("en", "slow_down")
    assert all(i.ack_flags & EPHEMERAL for i in fired)
    assert not discord.bot_messages(world.general)
