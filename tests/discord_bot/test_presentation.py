"""What a Discord user sees of slow replies and voice messages, through the real discord.py."""

from __future__ import annotations

from pathlib import Path

from core.i18n import t
from simulator import Scenario, Simulator
from tests.discord_bot.conftest import World, running_stack


async def test_a_slow_reply_arrives_as_a_reply_to_the_request(
    sim: Simulator, world: World, tmp_path: Path
) -> None:
    """Past NEMOBOT_NOTIFY_AFTER_S the answer is a new message replying to (and pinging) the asker;
    the message that streamed is removed, so the reply appears once."""
    discord = world.discord
    async with running_stack(sim, world, tmp_path / "data", core={"nemobot_notify_after_s": 0.1}) as stack:
        sim.config.partial_chunk_seconds = 40
        sim.force_next_turn(Scenario.CHAT)
        asked = await discord.user_message(world.general, world.ada, "hello there", mention=True)

        def answered() -> list[object]:
            return [m for m in discord.bot_messages(world.general) if m.payload.get("message_reference")]

        [reply] = await discord.wait_for(answered)
        await stack.idle(world.general)
    assert str(reply.payload["message_reference"]["message_id"]) == asked["id"]
    visible = [m for m in discord.bot_messages(world.general) if not m.deleted]
    assert visible == [reply]
    assert reply.content.startswith("Hi! I'm Nemo")


async def test_a_voice_message_is_explained_in_the_users_words(
    sim: Simulator, world: World, tmp_path: Path
) -> None:
    """Discord voice messages (OGG/Opus) are not editable media: "voice message", never a file name."""
    discord = world.discord
    voice = discord.add_file("voice-message.ogg", b"OggS", "audio/ogg")
    voice["flags"] = 1 << 13  # IS_VOICE_MESSAGE
    voice["duration_secs"] = 2.0
    voice["waveform"] = "AAAA"
    async with running_stack(sim, world, tmp_path / "data") as stack:
        direct = discord.add_channel(None, "dm", recipient=world.ada)
        await discord.user_message(direct, world.ada, "", attachments=[voice])
        [answer] = await discord.wait_for(lambda: discord.bot_messages(direct))
        await stack.idle(direct)
    assert answer.content == t("en", "upload_voice_note")
    assert ".ogg" not in answer.content
    assert sim.stats.uploaded_files == 0
