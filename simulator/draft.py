"""The session's timeline draft in NemoVideo's compact keys, and the edits the agent makes to it.

Documented keys: `t` tracks, `tt` track type (0 video, 1 audio/BGM, 7 text/title), `sg`
segments, `d` duration in ms, `m` metadata `{title,width,height}`. Segment fields beyond `d`
are the simulator's guess (docs §5): `start` (ms on the timeline), `src`, `text`, `name`, ...
"""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]

VIDEO = 0
AUDIO = 1
TEXT = 7

_TRACK_LABELS = {VIDEO: "Video", AUDIO: "BGM", TEXT: "Title"}
_TRACK_LABELS_ZH = {VIDEO: "视频", AUDIO: "背景音乐", TEXT: "标题"}
# Audio tracks the skills make are labelled by what they carry, not as background music.
_ROLE_LABELS = {"voiceover": "Voice-over", "dialogue": "Audio", "merged": "Audio", "music": "Song"}
_ROLE_LABELS_ZH = {"voiceover": "配音", "dialogue": "音频", "merged": "音频", "music": "歌曲"}


def new_draft(title: str, width: int, height: int) -> JsonObject:
    return {"t": [], "d": 0, "m": {"title": title, "width": width, "height": height}}


def tracks(draft: JsonObject, track_type: int) -> list[JsonObject]:
    return [track for track in draft.get("t", []) if track.get("tt") == track_type]


def ensure_track(draft: JsonObject, track_type: int, name: str | None = None) -> JsonObject:
    """The first track of a type (and name, which tells captions from the title), made if missing."""
    for existing in tracks(draft, track_type):
        if existing.get("name") == name:
            return existing
    track: JsonObject = {"tt": track_type, "sg": []}
    if name is not None:
        track["name"] = name
    draft.setdefault("t", []).append(track)
    return track


def is_exportable(draft: Any) -> bool:
    """The docs' rule: `draft.t` is non-empty and at least one track has segments."""
    if not isinstance(draft, dict):
        return False
    all_tracks = draft.get("t")
    if not isinstance(all_tracks, list):
        return False
    return any(isinstance(track, dict) and track.get("sg") for track in all_tracks)


def has_video(draft: JsonObject) -> bool:
    return any(track["sg"] for track in tracks(draft, VIDEO))


def append_clip(draft: JsonObject, src: str, duration_ms: int, **extra: Any) -> JsonObject:
    """Put a clip at the end of the video track and grow the draft's duration."""
    track = ensure_track(draft, VIDEO)
    start = sum(int(segment["d"]) for segment in track["sg"])
    segment: JsonObject = {"src": src, "start": start, "d": duration_ms, **extra}
    track["sg"].append(segment)
    draft["d"] = max(int(draft.get("d", 0)), start + duration_ms)
    return segment


def set_music(draft: JsonObject, name: str, src: str, volume: float) -> JsonObject:
    """Replace the BGM track's content with one piece spanning the whole video."""
    track = ensure_track(draft, AUDIO)
    segment: JsonObject = {"name": name, "src": src, "start": 0, "d": int(draft["d"]), "volume": volume}
    track["sg"] = [segment]
    return segment


def add_text(draft: JsonObject, text: str, start_ms: int, duration_ms: int, style: str) -> JsonObject:
    """A title goes on the first text track; captions get a text track of their own."""
    track = ensure_track(draft, TEXT, "captions" if style == "caption" else None)
    segment: JsonObject = {"text": text, "start": start_ms, "d": duration_ms, "style": style}
    track["sg"].append(segment)
    return segment


def retime(draft: JsonObject, new_duration_ms: int, speed: float | None = None) -> None:
    """Trim (or speed up) the video track to `new_duration_ms`, clipping the other tracks to fit."""
    old = max(1, int(draft.get("d", 0)))
    ratio = new_duration_ms / old
    cursor = 0
    for track in tracks(draft, VIDEO):
        for segment in track["sg"]:
            segment["d"] = max(100, round(int(segment["d"]) * ratio))
            segment["start"] = cursor
            if speed is not None:
                segment["speed"] = round(float(segment.get("speed", 1.0)) * speed, 3)
            cursor += segment["d"]
    draft["d"] = cursor
    for track in draft.get("t", []):
        if track.get("tt") == VIDEO:
            continue
        kept = [segment for segment in track["sg"] if int(segment.get("start", 0)) < cursor]
        for segment in kept:
            segment["d"] = min(int(segment["d"]), cursor - int(segment.get("start", 0)))
        track["sg"] = kept


def apply_effect(draft: JsonObject, effect: str) -> int:
    """Tag every video segment with an effect; returns how many segments changed."""
    count = 0
    for track in tracks(draft, VIDEO):
        for segment in track["sg"]:
            segment.setdefault("fx", []).append(effect)
            count += 1
    return count


def describe(draft: JsonObject, chinese: bool = False) -> str:
    """The skills' human summary: `Timeline (3 tracks): 1. Video: … (0-10s) 2. BGM: …`."""
    labels = _TRACK_LABELS_ZH if chinese else _TRACK_LABELS
    lines = []
    all_tracks = [track for track in draft.get("t", []) if track.get("sg")]
    for number, track in enumerate(all_tracks, start=1):
        label = labels.get(int(track["tt"]), f"Track {track['tt']}")
        if track.get("name") == "captions":
            label = "字幕" if chinese else "Captions"
        first = track["sg"][0]
        role = first.get("role")
        if int(track["tt"]) == AUDIO and role in _ROLE_LABELS:
            label = (_ROLE_LABELS_ZH if chinese else _ROLE_LABELS)[role]
        start = int(first.get("start", 0)) / 1000
        end = max(int(s.get("start", 0)) + int(s["d"]) for s in track["sg"]) / 1000
        what = first.get("text") or first.get("name") or first.get("src", "").rsplit("/", 1)[-1]
        span = f"{start:g}-{end:g}s"
        if "volume" in first:
            span += f", {round(float(first['volume']) * 100)}%"
        lines.append(f'{number}. {label}: "{what}" ({span})')
    head = f"时间线（{len(all_tracks)} 条轨道）：" if chinese else f"Timeline ({len(all_tracks)} tracks):"
    return " ".join([head, *lines])
