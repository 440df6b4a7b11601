"""The console adapter and `nemobot demo`, in process and as a real piped command."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import httpx

from bots.console import ConsoleOutbound, ConsoleSession
from core.bot import NemoBot
from core.chat import ChatKey
from core.i18n import t
from core.nemo.transport import NemoTransport
from core.ports import Store
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


async def test_the_upload_bar_reaches_one_hundred_percent(sim: Simulator, tmp_path: Path) -> None:
    """In a terminal the bar is the last thing seen of an upload before "Got it": it ends at 100 %."""
    clip = tmp_path / "big clip.mp4"
    clip.write_bytes(b"\0" * 3_000_000)
    output = await _run_console(sim, tmp_path, f"/upload {clip}\n", interactive=True)
    assert "📤" in output
    assert "100%" in output
    assert output.index("100%") < output.index("📥")


def test_ctrl_c_in_the_demo_stops_the_turn_without_a_traceback(tmp_path: Path) -> None:
    """A real `nemobot demo` in a terminal: Ctrl+C mid-turn says "Stopped", prints no traceback or
    backend noise, and Ctrl+D then ends it with exit code 0."""
    import pty
    import select
    import signal
    import time

    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("NEMO", "TELEGRAM", "DISCORD"))
    }
    env["NEMOBOT_DATA_DIR"] = str(tmp_path / "data")
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bots", "demo"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=tmp_path,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""

    def read_until(marker: bytes, within_s: float = 60.0) -> None:
        nonlocal seen
        deadline = time.monotonic() + within_s
        while marker not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    return

    try:
        read_until(b"you> ")
        os.write(master, b"make a 5 second video of the sea\n")
        read_until(b"generating")
        os.killpg(process.pid, signal.SIGINT)
        read_until(b"Stopped")
        read_until(b"you> ", 10)
        time.sleep(0.5)  # what the simulator's side would log comes right after the cancel
        os.write(master, b"\x04")
        returncode = process.wait(timeout=30)
        read_until(b"\0", 0.5)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    text = seen.decode(errors="replace")
    assert "Stopped" in text
    assert "Traceback" not in text
    assert "ERROR" not in text
    assert returncode == 0


async def test_an_export_ends_with_the_result_not_an_export_finished_line(
    sim: Simulator, tmp_path: Path
) -> None:
    """The progress card goes away once the video is out: the result is the last word."""
    sim.force_next_turn(Scenario.GENERATION)
    output = await _run_console(sim, tmp_path, "make a video of a beach\n/export\n")
    assert "🎬" in output
    assert "Export finished" not in output


async def test_a_reply_that_changes_above_its_end_is_redrawn_not_printed_twice(tmp_path: Path) -> None:
    """In a terminal, a final text that is not a continuation of what is shown replaces the block."""
    stream = io.StringIO()
    out = ConsoleOutbound(stream=stream, interactive=True, exports_dir=tmp_path)
    chat = ChatKey("console", "local")
    ref = await out.send_text(chat, "Your video is ready! Use Exp", final=False)
    await out.edit_text(ref, "Your video is ready! Use Export\nsee below", final=False)
    await out.edit_text(ref, "Your video is ready! Use the Export button\nsee the list below", final=True)
    output = stream.getvalue()
    assert output.count("Your video is ready!") == 2, "once streamed, once redrawn in place"
    redraw = output.rindex("\x1b[J")
    assert "\x1b[1A" in output[: redraw + 3]
    assert output[redraw:].count("Your video is ready!") == 1


async def test_a_running_job_says_how_to_cancel_it_in_a_terminal(sim: Simulator, tmp_path: Path) -> None:
    """A job card's Cancel button is, in a terminal, Ctrl+C or /cancel: said once, above the bar."""
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0" * 3_000_000)
    output = await _run_console(sim, tmp_path, f"/upload {clip}\n", interactive=True)
    hint = "[Cancel: Ctrl+C · /cancel]"
    assert output.count(hint) == 1
    assert output.index(hint) < output.index("📤") < output.index("📥")
