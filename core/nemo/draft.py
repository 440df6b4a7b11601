"""Read the draft (timeline) from the session state and describe it in chat-sized words.

The draft schema is only partly documented (§5 of the API notes): ``t`` tracks, ``tt`` track type
(0 video, 1 audio, 7 text), ``sg`` segments, ``d`` durations in ms, ``m`` metadata. Everything
else is a guess, so every function here accepts any value, reads only what it recognises, never
raises, and never echoes raw JSON. The draft itself is passed to the render endpoint untouched.

Every description is given in the chat's language (``lang``: ``"en"`` or ``"zh"``; anything else
reads as English), so a Chinese chat never sees English timeline lines.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

_MS_LIMIT = 1e10  # ~115 days; bigger numbers are garbage, not timeline positions
_NAME_LIMIT = 40
_START_KEYS = ("s", "st", "start")
_SOURCE_KEYS = ("src", "url", "path", "file", "uri")
_VOICE_HINTS = ("voice", "narrat", "speech", "tts", "dialog")
_MUSIC_HINTS = ("music", "bgm", "song", "soundtrack")
_SPACES = re.compile(r"\s+")

_LABELS: dict[int | None, str] = {0: "Video", 7: "Title"}
# label -> (sentence subject, noun phrase, article), per language
_WORDS: Final[dict[str, dict[str, tuple[str, str, str]]]] = {
    "en": {
        "Video": ("Video track", "video track", "a"),
        "BGM": ("Background music", "background music track", "a"),
        "Audio": ("Audio track", "audio track", "an"),
        "Title": ("Title", "title track", "a"),
        "Track": ("Track", "track", "a"),
    },
    "zh": {
        "Video": ("视频轨道", "视频轨道", ""),
        "BGM": ("背景音乐", "背景音乐轨道", ""),
        "Audio": ("音频轨道", "音频轨道", ""),
        "Title": ("标题", "标题轨道", ""),
        "Track": ("轨道", "轨道", ""),
    },
}
# What a track line starts with ("2. BGM: …"), per language.
_SHORT_LABELS: Final[dict[str, dict[str, str]]] = {
    "en": {"Video": "Video", "BGM": "BGM", "Audio": "Audio", "Title": "Title", "Track": "Track"},
    "zh": {"Video": "视频", "BGM": "背景音乐", "Audio": "音频", "Title": "标题", "Track": "轨道"},
}
# Sentences, per language; English plurals are chosen by the "_one" variants.
_PHRASES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "clips": "{n} clips",
        "clips_one": "{n} clip",
        "texts": "{n} texts",
        "texts_one": "{n} text",
        "empty": "Timeline is empty",
        "timeline": "Timeline ({n} tracks): ",
        "timeline_one": "Timeline ({n} track): ",
        "added": "Added {article} {noun}: {desc}{detail}",
        "removed": "Removed the {noun}: {desc}",
        "added_names": "{subject}: added {names}",
        "and_more": " and {n} more",
        "now_has": "{subject} now has {amount} (was {n})",
        "renamed": "{subject} changed to {name}",
        "was": " (was {old})",
        "moved": "{subject} moved to {new} (was {old})",
        "resized": "{subject} now {new} (was {old})",
        "muted": "{subject} muted",
        "volume": "{subject} volume changed to {volume}%",
        "updated": "{subject} updated",
        "canvas": "Canvas changed to {new} (was {old})",
        "title": "Project title changed to {title}",
        "seconds": "{n}s",
        "span": "{start}-{end}s",
        "list": ", ",
        "generated": "generated",
    },
    "zh": {
        "clips": "{n} 个片段",
        "texts": "{n} 段文字",
        "empty": "时间轴为空",
        "timeline": "时间轴（{n} 条轨道）：",
        "added": "新增{noun}：{desc}{detail}",
        "removed": "移除了{noun}：{desc}",
        "added_names": "{subject}：新增 {names}",
        "and_more": " 等另外 {n} 个",
        "now_has": "{subject}现在有 {amount}（原为 {n} 个）",
        "renamed": "{subject}改为 {name}",
        "was": "（原为 {old}）",
        "moved": "{subject}移到 {new}（原为 {old}）",
        "resized": "{subject}时长改为 {new}（原为 {old}）",
        "muted": "{subject}已静音",
        "volume": "{subject}音量改为 {volume}%",
        "updated": "{subject}已更新",
        "canvas": "画布改为 {new}（原为 {old}）",
        "title": "项目标题改为 {title}",
        "seconds": "{n} 秒",
        "span": "{start}-{end} 秒",
        "list": "、",
        "generated": "AI 生成",
    },
}


# A media file's type in the Media panel list (English keeps the backend's word).
_MEDIA_KINDS: Final[dict[str, dict[str, str]]] = {"zh": {"video": "视频", "image": "图片", "audio": "音频"}}


def _say(lang: str, key: str, count: int | None = None, **values: object) -> str:
    """The phrase ``key`` in ``lang`` (English when unknown), singular when ``count`` is 1."""
    phrases = _PHRASES.get(lang, _PHRASES["en"])
    template = phrases.get(f"{key}_one") if count == 1 else None
    return (template or phrases[key]).format(**values)


def _words(lang: str, label: str) -> tuple[str, str, str]:
    return _WORDS.get(lang, _WORDS["en"])[label]


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

    def amount(self, lang: str) -> str:
        return _say(lang, "texts" if self.label == "Title" else "clips", self.count, n=self.count)

    def desc(self, lang: str) -> str:
        return self.name if self.count == 1 and self.name else self.amount(lang)

    def detail(self, lang: str) -> str:
        bits = [_range(self.span, lang)] if self.span else []
        if self.volume is not None:
            bits.append(f"{self.volume}%")
        if not bits:
            return ""
        return f"（{'，'.join(bits)}）" if lang == "zh" else f" ({', '.join(bits)})"

    def label_in(self, lang: str) -> str:
        return _SHORT_LABELS.get(lang, _SHORT_LABELS["en"])[self.label]


def is_exportable(draft: object) -> bool:
    """True when the draft has a list ``t`` with at least one track whose ``sg`` is a non-empty list."""
    tracks = draft.get("t") if isinstance(draft, Mapping) else None
    if not isinstance(tracks, list):
        return False
    return any(isinstance(t, Mapping) and isinstance(t.get("sg"), list) and t.get("sg") for t in tracks)


def summarize_tracks(draft: object, lang: str = "en") -> list[str]:
    """One short line per non-empty track, numbered, e.g. ``2. BGM: Lo-fi (0-10s, 35%)``."""
    colon = "：" if lang == "zh" else ": "
    return [
        f"{i}. {t.label_in(lang)}{colon}{t.desc(lang)}{t.detail(lang)}"
        for i, t in enumerate(_tracks(draft), start=1)
    ]


def summarize_draft(draft: object, lang: str = "en") -> str:
    """The whole timeline on one line: ``Timeline (3 tracks): 1. Video: … 2. …``."""
    lines = summarize_tracks(draft, lang)
    if not lines:
        return _say(lang, "empty")
    return _say(lang, "timeline", len(lines), n=len(lines)) + " ".join(lines)


def diff_drafts(before: object, after: object, lang: str = "en") -> list[str]:
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
            _, noun, article = _words(lang, track.label)
            changes.append(
                _say(
                    lang,
                    "added",
                    article=article,
                    noun=noun,
                    desc=track.desc(lang),
                    detail=track.detail(lang),
                )
            )
        else:
            changes.extend(_track_changes(previous, track, lang))
    for key, track in old.items():
        if key not in new:
            changes.append(_say(lang, "removed", noun=_words(lang, track.label)[1], desc=track.desc(lang)))
    changes.extend(_meta_changes(before, after, lang))
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


def _track_changes(a: _Track, b: _Track, lang: str) -> list[str]:
    subject = _words(lang, b.label)[0]
    if _same(a.raw, b.raw):
        return []
    out = []
    added = _added_segment_names(a.raw, b.raw) if b.count > a.count else []
    if added:
        more = _say(lang, "and_more", n=len(added) - 3) if len(added) > 3 else ""
        out.append(
            _say(lang, "added_names", subject=subject, names=_say(lang, "list").join(added[:3])) + more
        )
    elif a.count != b.count:
        out.append(_say(lang, "now_has", subject=subject, amount=b.amount(lang), n=a.count))
    elif b.name and a.name != b.name:
        was = _say(lang, "was", old=a.name) if a.name else ""
        out.append(_say(lang, "renamed", subject=subject, name=b.name) + was)
    if a.span and b.span and a.span != b.span:
        if a.span[0] != b.span[0]:
            out.append(
                _say(lang, "moved", subject=subject, new=_range(b.span, lang), old=_range(a.span, lang))
            )
        else:
            out.append(
                _say(lang, "resized", subject=subject, new=_length(b.span, lang), old=_length(a.span, lang))
            )
    if b.volume is not None and a.volume != b.volume:
        out.append(
            _say(lang, "muted", subject=subject)
            if b.volume == 0
            else _say(lang, "volume", subject=subject, volume=b.volume)
        )
    return out or [_say(lang, "updated", subject=subject)]


def _added_segment_names(before: Mapping[object, object], after: Mapping[object, object]) -> list[str]:
    """Names of segments present after but not before (a title added next to an existing one)."""

    def names(track: Mapping[object, object]) -> list[str]:
        segments = track.get("sg")
        items = segments if isinstance(segments, list) else []
        return [_segment_name(seg) for seg in items if isinstance(seg, Mapping)]

    old = names(before)
    return [name for name in names(after) if name and name not in old]


def _meta_changes(before: object, after: object, lang: str) -> list[str]:
    old, new = _meta(before), _meta(after)
    out = []
    if new.get("size") and old.get("size") and new["size"] != old["size"]:
        out.append(_say(lang, "canvas", new=new["size"], old=old["size"]))
    if new.get("title") and old.get("title") and old["title"] != new["title"]:
        out.append(_say(lang, "title", title=new["title"]))
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


def _range(span: tuple[float, float], lang: str = "en") -> str:
    return _say(lang, "span", start=_secs(span[0]), end=_secs(span[1]))


def _length(span: tuple[float, float], lang: str = "en") -> str:
    return _say(lang, "seconds", n=_secs(span[1] - span[0]))


def summarize_media(video_infos: object, lang: str = "en") -> list[str]:
    """One line per file in the project (what the web editor's Media panel lists).

    ``1. interview.mp4 (video, 45s)``; generated media is marked as such. Unknown shapes are skipped.
    """
    kinds = _MEDIA_KINDS.get(lang, {})
    if not isinstance(video_infos, list | tuple):
        return []
    lines: list[str] = []
    for info in video_infos:
        if not isinstance(info, Mapping):
            continue
        name = _segment_name({"name": info.get("filename")}) or _segment_name(info) or "file"
        bits = [kinds.get(kind, kind)] if isinstance(kind := info.get("file_type"), str) and kind else []
        duration = info.get("duration")
        if isinstance(duration, int | float) and not isinstance(duration, bool) and 0 < duration < 1e7:
            bits.append(_say(lang, "seconds", n=f"{duration:g}"))
        if info.get("source") == "generated":
            bits.append(_say(lang, "generated"))
        details = ""
        if bits:
            details = f"（{'，'.join(bits)}）" if lang == "zh" else f" ({', '.join(bits)})"
        lines.append(f"{len(lines) + 1}. {name}{details}")
    return lines
