"""Scenario choice from message text: keywords in English and Chinese, trigger words, forcing."""

from __future__ import annotations

import random

import pytest

from simulator import EditAction, Fault, FaultKind, Scenario, SimulatorConfig
from simulator.sse_scenarios import title_from
from simulator.turn_plan import ForcedTurn, TurnPlan, detect, plan_turn


@pytest.mark.parametrize(
    ("text", "scenario", "action"),
    [
        ("hi there", Scenario.CHAT, None),
        ("what can you do?", Scenario.CHAT, None),
        ("generate a 10 second city timelapse", Scenario.GENERATION, None),
        ("Can you make me a video of a cat surfing", Scenario.GENERATION, None),
        ("create a short clip about coffee, with music", Scenario.GENERATION, None),
        ("帮我生成一个海边日落的视频", Scenario.GENERATION, None),
        ("做一个关于猫的视频", Scenario.GENERATION, None),
        ('add a title "Summer Trip"', Scenario.SILENT_EDIT, EditAction.ADD_TITLE),
        ("加个标题", Scenario.SILENT_EDIT, EditAction.ADD_TITLE),
        ("add a fade transition", Scenario.SILENT_EDIT, EditAction.ADD_EFFECT),
        ("add captions please", Scenario.EDIT, EditAction.ADD_CAPTIONS),
        ("generate subtitles", Scenario.EDIT, EditAction.ADD_CAPTIONS),
        ("加字幕", Scenario.EDIT, EditAction.ADD_CAPTIONS),
        ("add some upbeat music", Scenario.EDIT, EditAction.ADD_MUSIC),
        ("配上背景音乐", Scenario.EDIT, EditAction.ADD_MUSIC),
        ("trim it to 5 seconds", Scenario.EDIT, EditAction.TRIM),
        ("剪掉前两秒", Scenario.EDIT, EditAction.TRIM),
        ("make it 2x faster", Scenario.EDIT, EditAction.SPEED),
        ("加速一点", Scenario.EDIT, EditAction.SPEED),
        ("analyze my clip", Scenario.ANALYSIS, None),
        ("分析一下这个视频", Scenario.ANALYSIS, None),
    ],
)
def test_keywords_pick_the_scenario(text: str, scenario: Scenario, action: EditAction | None) -> None:
    detection = detect(text)
    assert (detection.scenario, detection.action) == (scenario, action)


def plan(text: str, **kwargs: object) -> TurnPlan:
    options: dict[str, object] = {
        "has_timeline": True,
        "uploaded_types": set(),
        "config": SimulatorConfig.fast(),
        "rng": random.Random(1),
        "forced": None,
        "faults": [],
    }
    options.update(kwargs)
    return plan_turn(text, **options)  # type: ignore[arg-type]


def test_trigger_words_override_keywords_and_add_faults() -> None:
    result = plan("hello #sim:silent #sim:noise #sim:drop-after-text #sim:heartbeats=0.5")
    assert result.scenario is Scenario.SILENT_EDIT
    assert result.action is EditAction.ADD_TITLE
    assert result.noise
    assert result.drop == "after_text"
    assert result.heartbeats_only_seconds == 0.5


def test_forced_turn_beats_trigger_words() -> None:
    forced = ForcedTurn(scenario=Scenario.EDIT, action=EditAction.TRIM, noise=False)
    result = plan("#sim:generate #sim:noise", forced=forced)
    assert (result.scenario, result.action, result.noise) == (Scenario.EDIT, EditAction.TRIM, False)


def test_edits_with_nothing_to_edit_become_a_chat_that_costs_chat_credits() -> None:
    result = plan("add music", has_timeline=False)
    assert result.scenario is Scenario.CHAT
    assert result.nothing_to_edit
    assert result.cost == SimulatorConfig().chat_cost


def test_make_a_video_from_my_uploads_assembles_them_instead_of_generating() -> None:
    result = plan("make a video from my clips", has_timeline=False, uploaded_types={"video"})
    assert (result.scenario, result.action) == (Scenario.EDIT, EditAction.ASSEMBLE)


def test_costs_follow_the_scenario() -> None:
    config = SimulatorConfig()
    assert plan("generate a video").cost == config.generation_cost
    assert plan("add music").cost == config.edit_cost
    assert plan("hello").cost == config.chat_cost


def test_pre_stream_credit_refusal_is_planned_from_its_fault() -> None:
    result = plan("hello", faults=[Fault(kind=FaultKind.INSUFFICIENT_CREDITS)])
    assert result.refuse_for_credits


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ('add a title "Summer Trip"', "Summer Trip"),
        ("添加标题「夏日旅行」", "夏日旅行"),
        ("generate a video of a neon city at night", "Neon City At Night"),
    ],
)
def test_titles_come_from_quotes_or_the_prompt(text: str, title: str) -> None:
    assert title_from(text) == title


def test_a_prompt_with_only_filler_words_gets_a_default_title() -> None:
    assert title_from("generate a video") == "My Video"
