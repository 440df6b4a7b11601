"""Read the draft (timeline) from the session state and describe it in chat-sized words.

The draft schema is only partly documented (§5 of the API notes): ``t`` tracks, ``tt`` track type
(0 video, 1 audio, 7 text), ``sg`` segments, ``d`` durations in ms, ``m`` metadata. Everything
else is a guess, so every function here accepts any value, reads only what it recognises, never
raises, and never echoes raw JSON. The draft itself is passed to the render endpoint untouched.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

_MS_LIMIT = 1e10  # ~115 days; bigger numbers are garbage, not timeline positions
_NAME_LIMIT = 40
_START_KEYS = ("s", "st", "start")
_SOURCE_KEYS = ("src", "url", "path", "file", "uri")
_VOICE_HINTS = ("voice", "narrat", "speech", "tts", "dialog")
_MUSIC_HINTS = ("music", "bgm", "song", "soundtrack")
_SPACES = re.compile(r"\s+")

_LABELS: dict[int | None, str] = {0: "Video", 7: "Title"}
# label -> (sentence subject, noun phrase, article)
_WORDS: dict[str, tuple[str, str, str]] = {
    "Video": ("Video track", "video track", "a"),
    "BGM": ("Background music", "background music track", "a"),
    "Audio": ("Audio track", "audio track", "an"),
    "Title": ("Title", "title track", "a"),
    "Track": ("Track", "track", "a"),
}


@dataclass(frozen=True, slots=True)
class _Track:
    """What a user can see of one non-empty track."""

    slot: str  # the track type, used to pair tracks of two drafts
    label: str
    name: str  # name of its only segment; "" when unnamed or when there are several
    count: int
    span: tuple[float, float] | None  # ms
    volume: int | None  # percent
    raw: Mapping[object, object]

    @property
    def noun(self) -> str:
        return "text" if self.label == "Title" else "clip"

    @property
    def amount(self) -> str:
        return f"{self.count} {self.noun}{'s' if self.count != 1 else ''}"

    @property
    def desc(self) -> str:
        return self.name if self.count == 1 and self.name else self.amount

    @property
    def detail(self) -> str:
        bits = [_range(self.span)] if self.span else []
        if self.volume is not None:
            bits.append(f"{self.volume}%")
        return f" ({', '.join(bits)})" if bits else ""


def is_exportable(draft: object) -> bool:
    """True when the draft has a list ``t`` with at least one track whose ``sg`` is a non-empty list."""
    tracks = draft.get("t") if isinstance(draft, Mapping) else None
    if not isinstance(tracks, list):
        return False
    return any(isinstance(t, Mapping) and isinstance(t.get("sg"), list) and t.get("sg") for t in tracks)


def summarize_tracks(draft: object) -> list[str]:
    """One short line per non-empty track, numbered, e.g. ``2. BGM: Lo-fi (0-10s, 35%)``."""
    return [f"{i}. {t.label}: {t.desc}{t.detail}" for i, t in enumerate(_tracks(draft), start=1)]


def summarize_draft(draft: object) -> str:
    """The whole timeline on one line: ``Timeline (3 tracks): 1. Video: … 2. …``."""
    lines = summarize_tracks(draft)
    if not lines:
        return "Timeline is empty"
    return f"Timeline ({len(lines)} track{'s' if len(lines) != 1 else ''}): " + " ".join(lines)


def diff_drafts(before: object, after: object) -> list[str]:
    """Sentences telling a user what changed between two drafts; empty when nothing visible did.

    Tracks are paired by type and order (the first video track with the first video track, …),
    which is what the backend's edits look like: tracks are added or changed, rarely reordered.
    """
    if _same(before, after):
        return []
    old = _keyed(_tracks(before))
    new = _keyed(_tracks(after))
    changes: list[str] = []
    for key, track in new.items():
        previous = old.get(key)
        if previous is None:
            _, noun, article = _WORDS[track.label]
            changes.append(f"Added {article} {noun}: {track.desc}{track.detail}")
        else:
            changes.extend(_track_changes(previous, track))
    for key, track in old.items():
        if key not in new:
            changes.append(f"Removed the {_WORDS[track.label][1]}: {track.desc}")
    changes.extend(_meta_changes(before, after))
    return changes


def _tracks(draft: object) -> list[_Track]:
    tracks = draft.get("t") if isinstance(draft, Mapping) else None
    if not isinstance(tracks, list):
        return []
    result = []
    for track in tracks:
        segments = track.get("sg") if isinstance(track, Mapping) else None
        if not isinstance(track, Mapping) or not isinstance(segments, list):
            continue
        segs = [s for s in segments if isinstance(s, Mapping)]
        if segs:
            result.append(_read_track(track, segs))
    return result


def _read_track(track: Mapping[object, object], segs: list[Mapping[object, object]]) -> _Track:
    kind = _int(track.get("tt"))
    label = _audio_label(track, segs) if kind == 1 else _LABELS.get(kind, "Track")
    name = _segment_name(segs[0]) if len(segs) == 1 else ""
    volume = _percent(track.get("volume"))
    if volume is None:
        volumes = {_percent(s.get("volume")) for s in segs}
        volume = volumes.pop() if len(volumes) == 1 else None
    return _Track(str(kind), label, name, len(segs), _span(track, segs), volume, track)


def _audio_label(track: Mapping[object, object], segs: list[Mapping[object, object]]) -> str:
    """BGM when it looks like music (a music hint, or a plain name); Audio for voice or unknown."""
    role = next((r for m in (track, *segs) if isinstance(r := m.get("role"), str) and r), None)
    if role is not None:  # a stated role wins: only music is background music
        return "BGM" if any(h in role.lower() for h in _MUSIC_HINTS) else "Audio"
    keys = ("name", "title", "type", "kind", "category", *_SOURCE_KEYS)
    hints = " ".join(v.lower() for m in (track, *segs) for k in keys if isinstance(v := m.get(k), str))
    if any(h in hints for h in _VOICE_HINTS):
        return "Audio"
    named = any(isinstance(s.get("name"), str) or isinstance(s.get("title"), str) for s in segs)
    return "BGM" if named or any(h in hints for h in _MUSIC_HINTS) else "Audio"


def _segment_name(seg: Mapping[object, object]) -> str:
    text = seg.get("text")
    if isinstance(text, str) and text.strip():
        return f'"{_clean(text)}"'
    for key in ("name", "title"):
        value = seg.get(key)
        if isinstance(value, str) and value.strip():
            return _clean(value)
    for key in _SOURCE_KEYS:
        value = seg.get(key)
        if isinstance(value, str):
            # Query strings and fragments are signing noise on CDN links, not part of the name.
            base = re.split(r"[?#]", value, maxsplit=1)[0].rstrip("/\\")
            base = re.split(r"[/\\]", base)[-1]
            if base.strip():
                return _clean(base)
    return ""


def _span(track: Mapping[object, object], segs: list[Mapping[object, object]]) -> tuple[float, float] | None:
    """Earliest start and latest end in ms; segments without a start follow the previous one."""
    cursor, starts, ends = 0.0, [], []
    for seg in segs:
        duration = _ms(seg.get("d"))
        if duration is None:
            continue
        start = _start(seg)
        start = cursor if start is None else start
        cursor = start + duration
        starts.append(start)
        ends.append(cursor)
    if not ends:
        duration = _ms(track.get("d"))
        if duration is None:
            return None
        start = _start(track) or 0.0
        return (start, start + duration)
    return (min(starts), max(ends))


def _start(obj: Mapping[object, object]) -> float | None:
    for key in _START_KEYS:
        value = _ms(obj.get(key))
        if value is not None:
            return value
    return None


def _track_changes(a: _Track, b: _Track) -> list[str]:
    subject = _WORDS[b.label][0]
    if _same(a.raw, b.raw):
        return []
    out = []
    added = _added_segment_names(a.raw, b.raw) if b.count > a.count else []
    if added:
        out.append(
            f"{subject}: added {', '.join(added[:3])}"
            + (f" and {len(added) - 3} more" if len(added) > 3 else "")
        )
    elif a.count != b.count:
        out.append(f"{subject} now has {b.amount} (was {a.count})")
    elif b.name and a.name != b.name:
        out.append(f"{subject} changed to {b.name}" + (f" (was {a.name})" if a.name else ""))
    if a.span and b.span and a.span != b.span:
        if a.span[0] != b.span[0]:
            out.append(f"{subject} moved to {_range(b.span)} (was {_range(a.span)})")
        else:
            out.append(f"{subject} now {_length(b.span)} (was {_length(a.span)})")
    if b.volume is not None and a.volume != b.volume:
        out.append(f"{subject} muted" if b.volume == 0 else f"{subject} volume changed to {b.volume}%")
    return out or [f"{subject} updated"]


def _added_segment_names(before: Mapping[object, object], after: Mapping[object, object]) -> list[str]:
    """Names of segments present after but not before (a title added next to an existing one)."""

    def names(track: Mapping[object, object]) -> list[str]:
        segments = track.get("sg")
        items = segments if isinstance(segments, list) else []
        return [_segment_name(seg) for seg in items if isinstance(seg, Mapping)]

    old = names(before)
    return [name for name in names(after) if name and name not in old]


def _meta_changes(before: object, after: object) -> list[str]:
    old, new = _meta(before), _meta(after)
    out = []
    if new.get("size") and old.get("size") and new["size"] != old["size"]:
        out.append(f"Canvas changed to {new['size']} (was {old['size']})")
    if new.get("title") and old.get("title") and old["title"] != new["title"]:
        out.append(f"Project title changed to {new['title']}")
    return out


def _meta(draft: object) -> dict[str, str]:
    meta = draft.get("m") if isinstance(draft, Mapping) else None
    if not isinstance(meta, Mapping):
        return {}
    out = {}
    width, height = _int(meta.get("width")), _int(meta.get("height"))
    if width and height and 0 < width < 100_000 and 0 < height < 100_000:
        out["size"] = f"{width}x{height}"
    title = meta.get("title")
    if isinstance(title, str) and title.strip():
        out["title"] = f'"{_clean(title)}"'
    return out


def _keyed(tracks: list[_Track]) -> dict[tuple[str, int], _Track]:
    seen: dict[str, int] = {}
    keyed = {}
    for track in tracks:
        seen[track.slot] = seen.get(track.slot, -1) + 1
        keyed[(track.slot, seen[track.slot])] = track
    return keyed


def _same(a: object, b: object) -> bool:
    try:
        return bool(a == b)
    except RecursionError:  # absurdly deep values: say "different" rather than fail
        return False


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _int(value: object) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number.is_integer() and abs(number) < 1e9 else None


def _ms(value: object) -> float | None:
    number = _number(value)
    return number if number is not None and 0 <= number < _MS_LIMIT else None


def _percent(value: object) -> int | None:
    """Volume as a percentage: 0..1 is a fraction, above that it is already a percentage."""
    number = _number(value)
    if number is None or number < 0 or number > 1000:
        return None
    return round(number * 100) if number <= 1 else round(number)


def _clean(text: str) -> str:
    text = _SPACES.sub(" ", text).strip()
    return text if len(text) <= _NAME_LIMIT else text[: _NAME_LIMIT - 1].rstrip() + "…"


def _secs(ms: float) -> str:
    return f"{ms / 1000:.1f}".rstrip("0").rstrip(".")


def _range(span: tuple[float, float]) -> str:
    return f"{_secs(span[0])}-{_secs(span[1])}s"


def _length(span: tuple[float, float]) -> str:
    return f"{_secs(span[1] - span[0])}s"


def summarize_media(video_infos: object) -> list[str]:
    """One line per file in the project (what the web editor's Media panel lists).

    ``1. interview.mp4 (video, 45s)``; generated media is marked as such. Unknown shapes are skipped.
    """
    if not isinstance(video_infos, list | tuple):
        return []
    lines: list[str] = []
    for info in video_infos:
        if not isinstance(info, Mapping):
            continue
        name = _segment_name({"name": info.get("filename")}) or _segment_name(info) or "file"
        bits = [kind] if isinstance(kind := info.get("file_type"), str) and kind else []
        duration = info.get("duration")
        if isinstance(duration, int | float) and not isinstance(duration, bool) and 0 < duration < 1e7:
            bits.append(f"{duration:g}s")
        if info.get("source") == "generated":
            bits.append("generated")
        lines.append(f"{len(lines) + 1}. {name}" + (f" ({', '.join(bits)})" if bits else ""))
    return lines
