"""Deciding what a chat turn will do, from the message text, the session and any forced script.

Scenario choice is deterministic: keywords in English and Chinese pick it, and `#sim:<name>`
trigger words in the message (for demos) or `Simulator.force_next_turn` (for tests) override it.

In a skill's session (X-Skill-Source other than nemo-video) a request that speaks of that skill's
work ("sync this voiceover to the speaker", "cut my photos to the beat") plays the skill's product
(``Scenario.SKILL``, see ``simulator.skill_scenarios``).

Trigger words (stripped from the text the agent sees):
  scenarios  #sim:chat  #sim:generate  #sim:edit  #sim:silent  #sim:analyze  #sim:skill
  flavour    #sim:noise  #sim:thought  #sim:gui=<hint> (a web-editor phrase the agent ends with)
  faults     #sim:drop-before-text  #sim:drop-after-text  #sim:error  #sim:credits-error
             #sim:no-credits  #sim:heartbeats=<seconds>
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from simulator.config import SimulatorConfig
from simulator.faults import Fault, FaultKind

DropPoint = Literal["before_text", "after_text"]


class Scenario(StrEnum):
    """What the agent does in one turn."""

    CHAT = "chat"  # text-only reply
    GENERATION = "generation"  # two-stage: raw clip, then BGM + title post-production
    EDIT = "edit"  # tool calls that change the draft, then a text reply
    SILENT_EDIT = "silent_edit"  # tool calls that change the draft, and no text at all
    ANALYSIS = "analysis"  # understands uploaded videos into state.video_analyses
    SKILL = "skill"  # the session's skill product: lip-sync, voice-over, music video, merge


class EditAction(StrEnum):
    ASSEMBLE = "assemble"  # put uploaded media on the timeline
    ADD_TITLE = "add_title"
    ADD_CAPTIONS = "add_captions"
    ADD_MUSIC = "add_music"
    TRIM = "trim"
    SPEED = "speed"
    ADD_EFFECT = "add_effect"


# Titles and effects are the edits the docs say often end without any text (§4.6).
SILENT_ACTIONS = frozenset({EditAction.ADD_TITLE, EditAction.ADD_EFFECT})

_I = re.IGNORECASE
_VIDEO_NOUN = r"(videos?|clips?|films?|movies?|reels?|animations?|timelapses?|shorts?)"
_GENERATION = (
    re.compile(rf"\b(generate|create|make|produce)\b[^.?!\n]*\b{_VIDEO_NOUN}\b", _I),
    re.compile(r"(生成|制作|创作|做|来)[^。？！\n]*视频"),
)
_BARE_GENERATE = re.compile(r"\bgenerate\b|生成", _I)
_EDIT_KEYWORDS: tuple[tuple[EditAction, re.Pattern[str]], ...] = (
    (EditAction.ADD_CAPTIONS, re.compile(r"\b(captions?|subtitles?)\b|字幕", _I)),
    (
        EditAction.ADD_TITLE,
        re.compile(r"\b(title|headline|text overlay|(add|put) (a |some )?text)\b|标题|文字", _I),
    ),
    (EditAction.ADD_MUSIC, re.compile(r"\b(music|bgm|soundtrack|song)\b|音乐|配乐|背景音", _I)),
    (EditAction.TRIM, re.compile(r"\b(trim|cut|shorten|shorter)\b|剪|裁|缩短", _I)),
    (
        EditAction.SPEED,
        re.compile(r"\b(speed|faster|slower|slow[- ]?mo(tion)?|slow down)\b|速度|加速|减速|慢动作", _I),
    ),
    (
        EditAction.ADD_EFFECT,
        re.compile(r"\b(effects?|filters?|transitions?|fade|color grade)\b|特效|滤镜|转场", _I),
    ),
)
_ANALYSIS = re.compile(r"\b(analy[sz]e|describe|what'?s in|summari[sz]e)\b|分析|描述|总结", _I)
_OWN_MEDIA = re.compile(r"\b(my|these|this|uploaded|footage)\b|素材|我的|上传", _I)
_TRIGGER = re.compile(r"#sim:([a-z-]+)(?:=([\w.-]+))?")

TRIGGER_SCENARIOS = {
    "chat": Scenario.CHAT,
    "generate": Scenario.GENERATION,
    "edit": Scenario.EDIT,
    "silent": Scenario.SILENT_EDIT,
    "analyze": Scenario.ANALYSIS,
    "skill": Scenario.SKILL,
}
TRIGGER_FAULTS = {
    "drop-before-text": FaultKind.SSE_DROP_BEFORE_TEXT,
    "drop-after-text": FaultKind.SSE_DROP_AFTER_TEXT,
    "error": FaultKind.SSE_ERROR,
    "credits-error": FaultKind.SSE_CREDITS_ERROR,
    "no-credits": FaultKind.INSUFFICIENT_CREDITS,
    "heartbeats": FaultKind.SSE_HEARTBEATS_ONLY,
}


@dataclass(frozen=True, slots=True)
class Detection:
    scenario: Scenario
    action: EditAction | None = None


# What asks a skill for its product, by skill name (English and Chinese).
SKILL_REQUESTS: dict[str, re.Pattern[str]] = {
    "lipsyncvideo-ai": re.compile(r"\b(lip[- ]?sync\w*|sync|dub\w*|mouth|lips?)\b|口型|对口型|同步|配音", _I),
    "ai-voiceover-for-video": re.compile(
        r"\b(voice[- ]?overs?|narrat\w*|voice|script|read|say)\b|旁白|配音|解说|朗读|文案", _I
    ),
    "ai-voiceover-for": re.compile(
        r"\b(voice[- ]?overs?|narrat\w*|voice|script|read|aloud|tts|speak)\b|配音|朗读|文案|旁白", _I
    ),
    "music-video-generator": re.compile(
        r"\b(music[- ]video|mv|beat|rhythm|photos?|pictures?|song|montage|slideshow)\b"
        r"|音乐视频|卡点|节拍|照片|歌",
        _I,
    ),
    "audio-video-to": re.compile(
        r"\b(merge|replace|combine|sync|mix|swap|line up|soundtrack|put (the|this|my) (audio|sound|music))\b"
        r"|合并|替换|混|对齐|同步|配乐",
        _I,
    ),
}


def detect_skill_request(skill: str, text: str) -> bool:
    """Whether ``text`` asks the skill ``skill`` for its product."""
    pattern = SKILL_REQUESTS.get(skill)
    return pattern is not None and pattern.search(text) is not None


def detect(text: str) -> Detection:
    """The scenario the message asks for, ignoring what the session holds."""
    action = next((action for action, pattern in _EDIT_KEYWORDS if pattern.search(text)), None)
    if any(pattern.search(text) for pattern in _GENERATION):
        return Detection(Scenario.GENERATION)
    if action is None and _BARE_GENERATE.search(text):
        return Detection(Scenario.GENERATION)
    if action is not None:
        return Detection(Scenario.SILENT_EDIT if action in SILENT_ACTIONS else Scenario.EDIT, action)
    if _ANALYSIS.search(text):
        return Detection(Scenario.ANALYSIS)
    return Detection(Scenario.CHAT)


def strip_triggers(text: str) -> str:
    return " ".join(_TRIGGER.sub("", text).split())


@dataclass(frozen=True, slots=True)
class ForcedTurn:
    """A test's script for the next turn (optionally of one session)."""

    scenario: Scenario | None = None
    action: EditAction | None = None
    noise: bool | None = None
    thoughts: bool | None = None
    session_id: str | None = None


@dataclass(slots=True)
class TurnPlan:
    """Everything decided before a turn starts: scenario, cost and the faults it will act out."""

    scenario: Scenario
    action: EditAction | None
    cost: int
    noise: bool
    thoughts: bool
    # Set when an edit/analysis had nothing to work on and became a chat reply.
    nothing_to_edit: bool = False
    drop: DropPoint | None = None
    error_message: str | None = None
    credits_error: bool = False
    refuse_for_credits: bool = False
    heartbeats_only_seconds: float = 0.0
    faults: list[Fault] = field(default_factory=list)
    # The session's skill, a turn that closes after its tool calls without text, and the
    # web-editor phrase a skill reply ends with (None: a seeded choice).
    skill: str = ""
    silent: bool = False
    gui_hint: str | None = None


def plan_turn(
    text: str,
    *,
    has_timeline: bool,
    uploaded_types: set[str],
    config: SimulatorConfig,
    rng: random.Random,
    forced: ForcedTurn | None,
    faults: list[Fault],
    skill: str = "",
) -> TurnPlan:
    """Resolve scenario, action, cost and faults for one turn."""
    triggers = {match.group(1): match.group(2) for match in _TRIGGER.finditer(text)}
    detection = detect(strip_triggers(text))
    scenario, action = detection.scenario, detection.action
    if detect_skill_request(skill, strip_triggers(text)):
        scenario, action = Scenario.SKILL, None
    rolled = config.silent_edit_rate is not None
    if rolled and scenario is Scenario.SILENT_EDIT:
        scenario = Scenario.EDIT  # in the seeded mode any edit may be silent, titles no more than others
    scripted = False
    for name, forced_scenario in TRIGGER_SCENARIOS.items():
        if name in triggers:
            scenario, scripted = forced_scenario, True
    if forced is not None and forced.scenario is not None:
        scenario, scripted = forced.scenario, True
        action = forced.action or action
    if scenario is Scenario.GENERATION and "video" in uploaded_types and _OWN_MEDIA.search(text):
        scenario, action = Scenario.EDIT, EditAction.ASSEMBLE
    action = _fit_action(scenario, action)

    # Decide the random flavour first, in a fixed order, so the rng sequence never depends on faults.
    noise = rng.random() < config.noise_rate or "noise" in triggers
    thoughts = rng.random() < config.thought_rate or "thought" in triggers
    if forced is not None:
        noise = forced.noise if forced.noise is not None else noise
        thoughts = forced.thoughts if forced.thoughts is not None else thoughts

    silent = scenario is Scenario.SILENT_EDIT
    if rolled and not scripted and scenario in (Scenario.EDIT, Scenario.SKILL):
        assert config.silent_edit_rate is not None
        silent = rng.random() < config.silent_edit_rate
        if silent and scenario is Scenario.EDIT:
            scenario = Scenario.SILENT_EDIT

    nothing_to_edit = False
    needs_media = scenario in (Scenario.EDIT, Scenario.SILENT_EDIT, Scenario.ANALYSIS)
    if needs_media and not has_timeline and not ({"video", "image"} & uploaded_types):
        scenario, action, nothing_to_edit = Scenario.CHAT, None, True
    if scenario is Scenario.ANALYSIS and "video" not in uploaded_types:
        scenario, nothing_to_edit = Scenario.CHAT, True

    cost = {
        Scenario.CHAT: config.chat_cost,
        Scenario.GENERATION: config.generation_cost,
        Scenario.ANALYSIS: config.edit_cost,
    }.get(scenario, config.edit_cost)
    plan = TurnPlan(scenario, action, cost, noise, thoughts, nothing_to_edit=nothing_to_edit, faults=faults)
    plan.skill = skill
    plan.silent = silent and scenario in (Scenario.SILENT_EDIT, Scenario.SKILL)
    plan.gui_hint = triggers.get("gui")
    for name, kind in TRIGGER_FAULTS.items():
        if name in triggers:
            seconds = float(triggers[name] or 5)
            plan.faults.append(Fault(kind=kind, seconds=seconds))
    for fault in plan.faults:
        _apply_fault(plan, fault)
    return plan


def _fit_action(scenario: Scenario, action: EditAction | None) -> EditAction | None:
    if scenario is Scenario.SILENT_EDIT and action is None:
        return EditAction.ADD_TITLE
    if scenario is Scenario.EDIT:
        return action or EditAction.ADD_MUSIC
    return action if scenario in (Scenario.EDIT, Scenario.SILENT_EDIT) else None


def _apply_fault(plan: TurnPlan, fault: Fault) -> None:
    match fault.kind:
        case FaultKind.SSE_DROP_BEFORE_TEXT:
            plan.drop = "before_text"
        case FaultKind.SSE_DROP_AFTER_TEXT:
            plan.drop = "after_text"
        case FaultKind.SSE_ERROR:
            plan.error_message = fault.message
        case FaultKind.SSE_CREDITS_ERROR:
            plan.credits_error = True
        case FaultKind.INSUFFICIENT_CREDITS:
            plan.refuse_for_credits = True
        case FaultKind.SSE_HEARTBEATS_ONLY:
            plan.heartbeats_only_seconds = fault.seconds
        case _:
            pass
