"""The whole bot on PostgreSQL: DATABASE_URL selects it, a turn and an export run, a restart resumes."""

from __future__ import annotations

from pathlib import Path

import psycopg

from bots.app import opened_store, running_bot
from core.chat import PlatformLimits
from simulator import Scenario, Simulator
from tests.fakes import RecordingOutbound
from tests.harness import CHAT, Harness, make_settings


async def test_a_turn_and_an_export_on_postgres_survive_a_restart(
    sim: Simulator, tmp_path: Path, pg_url: str, limits: PlatformLimits
) -> None:
    """Jobs and the chat's session land in PostgreSQL (token encrypted) and are there after a restart."""
    assert sim.base_url is not None
    settings = make_settings(sim.base_url, tmp_path / "data", database_url=pg_url)
    async with opened_store(settings) as store, running_bot(settings, store=store) as bot:
        out = RecordingOutbound(limits)
        bot.attach(CHAT.platform, out)
        harness = Harness(bot, out, sim, store)
        sim.force_next_turn(Scenario.GENERATION)
        await harness.say("make a 10 second video of a city at night")
        await harness.say("/export")
        session_id = await harness.session_id()
        assert sim.stats.run_sse_calls(session_id) == 1
        assert any(m.video is not None for m in out.messages), [m.text for m in out.messages]

    with psycopg.connect(pg_url) as conn:
        jobs = conn.execute("SELECT kind, state FROM jobs ORDER BY created_at").fetchall()
        tokens = conn.execute("SELECT token FROM chats").fetchall()
    assert jobs == [("turn", "done"), ("render", "done")]
    assert tokens
    assert all(str(token).startswith("fernet:") for (token,) in tokens)

    async with opened_store(settings) as store, running_bot(settings, store=store) as again:
        assert await again.resume() == 0
        record = await store.get_chat(CHAT)
        assert record is not None
        assert record.session_id == session_id
        assert record.token is not None
        assert record.token.startswith("nmv_usr_")
