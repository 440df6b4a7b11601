"""Seeded runs repeat exactly: ids, scenario choices, event content and state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from simulator import Simulator, SimulatorConfig
from tests.simulator.helpers import SKILL_HEADERS, Api


async def transcript(seed: int, data_dir: Path) -> dict[str, Any]:
    # Noise and thoughts at 50 % so their seeded choices are part of what must repeat.
    config = SimulatorConfig.fast(
        seed=seed, data_dir=data_dir, time_scale=0.0005, noise_rate=0.5, thought_rate=0.5
    )
    simulator = Simulator(config)
    async with (
        simulator.running() as base_url,
        httpx.AsyncClient(base_url=base_url, headers=SKILL_HEADERS) as client,
    ):
        api = Api(client)
        login = (await api.login())["data"]
        await api.new_session()
        await api.upload(("clip.mp4", b"frames"))
        turns = [
            await api.turn(text)
            for text in ("hi", "generate a video of a cat", 'add a title "Cat"', "add music")
        ]
        state = await api.state()
        raw = json.dumps(
            {
                "login": {key: login[key] for key in ("token", "user_id")},
                "session": [api.session_id, api.task_id],
                "events": [
                    [{k: v for k, v in e.items() if k != "timestamp"} for e in t.events] for t in turns
                ],
                "state": state,
            }
        )
        transcript: dict[str, Any] = json.loads(raw.replace(base_url, "BASE"))
        return transcript


async def test_the_same_seed_gives_the_same_ids_choices_events_and_state(tmp_path: Path) -> None:
    first = await transcript(11, tmp_path / "a")
    second = await transcript(11, tmp_path / "b")
    assert first == second
    events = [event for turn in first["events"] for event in turn]
    assert any(event.get("content", {}).get("parts", [{}])[0].get("thought") for event in events)


async def test_a_different_seed_gives_different_ids(tmp_path: Path) -> None:
    first = await transcript(11, tmp_path / "a")
    other = await transcript(12, tmp_path / "b")
    assert first["login"]["token"] != other["login"]["token"]
    assert first["session"] != other["session"]
