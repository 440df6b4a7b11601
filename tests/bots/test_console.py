"""The console adapter and `nemobot demo`, in process and as a real piped command."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import httpx

from bots.console import ConsoleOutbound, ConsoleSession
from core.i18n import t
from core.nemo.transport import NemoTransport
from core.ports import Store
from core.service import NemoBot
from core.skills import SkillProfile
from simulator import Scenario, Simulator
from storage import MemoryStore, SqliteStore
from tests.flows.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]


async def _run_console(
    sim: Simulator, tmp_path: Path, lines: str, *, interactive: bool = False, store: Store | None = None
) -> str:
    assert sim.base_url is not None
    settings = make_settings(sim.base_url, tmp_path / "data")
    stdout = io.StringIO()
    async with httpx.AsyncClient() as http:

        def transport_for(profile: SkillProfile) -> NemoTransport:
            return NemoTransport(http, settings.nemo_api_url, profile.attribution("unknown"))

        bot = NemoBot(settings, store or MemoryStore(), transport_for)
        out = ConsoleOutbound(stream=stdout, interactive=interactive, exports_dir=tmp_path / "exports")
        bot.attach("console", out)
        assert await ConsoleSession(bot, out, io.StringIO(lines)).run() == 0
        await bot.stop()
    return stdout.getvalue()


async def test_a_piped_session_handles_each_line_in_order_and_exits_at_eof(
    sim: Simulator, tmp_path: Path
) -> None:
    """Each line's work finishes before the next; only finished messages are printed."""
    sim.force_next_turn(Scenario.GENERATION)
    output = await _run_console(sim, tmp_path, "make a video of a beach\n/export\n/credits\n")
    generated = output.index("Video")
    exported = output.index("🎬")
    credits = output.index("💳")
    assert generated < exported < credits
    assert list((tmp_path / "exports").glob("*.mp4"))
    assert "\r" not in output


async def test_a_second_session_on_the_same_data_dir_answers_every_line(
    sim: Simulator, tmp_path: Path
) -> None:
    """Message ids are unique across runs: the second session's lines are not taken as duplicates."""
    store = await SqliteStore.open(tmp_path / "data" / "nemobot.db")
    try:
        first = await _run_console(sim, tmp_path, "/credits\n/credits\n", store=store)
        second = await _run_console(sim, tmp_path, "/credits\n/credits\n", store=store)
    finally:
        await store.close()
    assert first.count("💳") == second.count("💳") == 2


async def test_a_message_that_cannot_be_stored_is_answered_with_a_clear_error(
    sim: Simulator, tmp_path: Path
) -> None:
    """The console cannot be re-sent a line: when storing it fails, the user reads why, and the
    session goes on."""
    store = await SqliteStore.open(tmp_path / "data" / "nemobot.db")
    await store.close()  # every call now fails, as a broken disk would
    output = await _run_console(sim, tmp_path, "hello\n/credits\n", store=store)
    assert output.count(t("en", "storage_unavailable")) == 2


async def test_upload_of_a_local_file_goes_through_the_core(sim: Simulator, tmp_path: Path) -> None:
    """/upload PATH streams the file from disk; a missing path gets a friendly message."""
    clip = tmp_path / "my clip.mp4"
    clip.write_bytes(b"\0" * 50_000)
    output = await _run_console(sim, tmp_path, f"/upload {clip}\n/upload {tmp_path / 'nope.mp4'}\n")
    assert "clip.mp4 — video" in output
    assert "nope.mp4" in output
    assert sim.stats.uploaded_files == 1


async def test_interactive_mode_streams_text_as_it_arrives(sim: Simulator, tmp_path: Path) -> None:
    """In a terminal, the reply grows in place rather than being printed once at the end."""
    sim.force_next_turn(Scenario.CHAT)
    output = await _run_console(sim, tmp_path, "hello\n", interactive=True)
    assert "you> " in output
    assert "nemobot> " in output


def test_nemobot_demo_runs_a_piped_session_to_completion(tmp_path: Path) -> None:
    """`printf 'hello\\n/export\\n' | nemobot demo` exits 0 with replies to both lines."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("NEMO", "TELEGRAM", "DISCORD"))
    }
    env["NEMOBOT_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-m", "bots", "demo"],
        input="hello\n/export\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("nemobot> ") >= 3
    assert "nmv_usr_" not in result.stdout + result.stderr
