"""The ops server and host-facing logs: /healthz, /metrics after real work, one line per turn."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bots.logs import JsonLines
from bots.ops import OpsServer
from core.metrics import METRICS
from tests.harness import Harness


@pytest.fixture
async def ops(harness: Harness) -> AsyncIterator[tuple[OpsServer, list[str], str]]:
    """An ops server over the harness's bot on a free loopback port, with a settable platform list."""
    platforms: list[str] = ["test"]
    server = OpsServer(harness.store, harness.bot.queue_depth, lambda: platforms)
    port = await server.start("127.0.0.1", 0)
    try:
        yield server, platforms, f"http://127.0.0.1:{port}"
    finally:
        await server.stop()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_healthz_is_ready_with_the_store_and_a_platform_up(
    ops: tuple[OpsServer, list[str], str],
) -> None:
    """200 and a JSON body naming the platforms while storage answers and a platform runs."""
    _server, _platforms, url = ops
    async with httpx.AsyncClient() as http:
        response = await http.get(url + "/healthz")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "store": "up", "platforms": ["test"]}


async def test_healthz_is_not_ready_without_a_platform_or_without_the_store(
    ops: tuple[OpsServer, list[str], str], harness: Harness
) -> None:
    """503 when no platform is up; 503 naming the store when it stops answering."""
    _server, platforms, url = ops
    async with httpx.AsyncClient() as http:
        platforms.clear()
        response = await http.get(url + "/healthz")
        assert response.status_code == 503
        assert response.json()["platforms"] == []
        platforms.append("test")
        await harness.store.close()
        response = await http.get(url + "/healthz")
    assert response.status_code == 503
    assert response.json()["store"] == "down"


async def test_metrics_count_a_real_turn_its_events_and_its_wait(
    ops: tuple[OpsServer, list[str], str], harness: Harness
) -> None:
    """After one chat turn: a finished turn, SSE events, a lag observation, and a queue depth of 0."""
    _server, _platforms, url = ops
    before_turns = METRICS.work[("turn", "ok")]
    before_events = METRICS.sse_events
    before_lag = METRICS.lag_count
    await harness.say("make a 10 second intro")
    async with httpx.AsyncClient() as http:
        response = await http.get(url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    assert found[("nemobot_work_total", (("kind", "turn"), ("outcome", "ok")))] == before_turns + 1
    assert found[("nemobot_sse_events_total", ())] > before_events
    assert found[("nemobot_job_lag_seconds_count", ())] >= before_lag + 1
    assert found[("nemobot_queue_depth", ())] == 0
    assert ("process_resident_memory_bytes", ()) in found


async def test_each_turn_logs_one_line_with_chat_outcome_and_duration_but_not_the_text(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """One INFO line per turn on nemobot.activity; the user's words are not in it."""
    with caplog.at_level(logging.INFO, logger="nemobot.activity"):
        await harness.say("a very private instruction about my holiday")
    lines = [r for r in caplog.records if r.name == "nemobot.activity"]
    assert len(lines) == 1
    line = lines[0]
    assert line.getMessage().startswith("turn chat=test:100 outcome=ok duration=")
    assert "holiday" not in line.getMessage()
    assert line.__dict__["outcome"] == "ok"
    assert line.__dict__["chat"] == "test:100"


def test_json_lines_carry_the_structured_fields() -> None:
    """NEMOBOT_LOG_FORMAT=json: one parseable object per line with chat, outcome and duration."""
    record = logging.LogRecord("nemobot.activity", logging.INFO, __file__, 1, "turn %s", ("x",), None)
    record.__dict__.update(event="turn", chat="telegram:1", outcome="ok", duration_s=1.25)
    text = JsonLines().format(record)
    assert "\n" not in text
    entry = json.loads(text)
    assert entry["message"] == "turn x"
    assert entry["level"] == "INFO"
    assert (entry["chat"], entry["outcome"], entry["duration_s"]) == ("telegram:1", "ok", 1.25)
