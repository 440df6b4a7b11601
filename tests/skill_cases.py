"""The five skills' new-user paths, shared by the console and Telegram flow tests.

Each case names the skill (by the alias a user types), the files a new user uploads, the skill's own
example request (taken from its profile), what the agent's streamed reply says, and the lines
/status must show afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from core.skills import PROFILES


@dataclass(frozen=True)
class SkillCase:
    alias: str
    skill: str
    uploads: tuple[str, ...]
    request: str
    reply: tuple[str, ...]
    status: tuple[str, ...]  # regular expressions, each matching one /status line

    @property
    def id(self) -> str:
        return self.skill


def _example(skill: str, index: int) -> str:
    """The profile's own example request (the flow uses what the welcome suggests)."""
    return PROFILES[skill].examples["en"][index]


CASES = (
    SkillCase(
        alias="lipsync",
        skill="lipsyncvideo-ai",
        uploads=("face.mp4", "voice.mp3"),
        request=_example("lipsyncvideo-ai", 0),
        reply=("syncing face.mp4 to voice.mp3", "Done — the mouth now follows the new audio"),
        status=(r"1\. Video: Lip-synced face\.mp4 \(0-", r"2\. Audio: Voice: voice\.mp3 \(0-.*100%"),
    ),
    SkillCase(
        alias="voiceover",
        skill="ai-voiceover-for-video",
        uploads=("trip.mp4",),
        request=_example("ai-voiceover-for-video", 1),
        reply=("Recording your script over trip.mp4", "Done — the voice-over is on the video"),
        status=(r"1\. Video: trip\.mp4 \(0-.*20%", r"2\. Audio: \"Welcome to our studio tour\.\""),
    ),
    SkillCase(
        alias="voice",
        skill="ai-voiceover-for",
        uploads=(),
        request=_example("ai-voiceover-for", 1),
        reply=("Recording your script as a voice-over (energetic voice", "Done — your voice-over is ready"),
        status=(
            r"1\. Video: Waveform background",
            r"2\. Audio: \"Fresh coffee, delivered in ten minutes\.\"",
        ),
    ),
    SkillCase(
        alias="music",
        skill="music-video-generator",
        uploads=("song.mp3", "p1.jpg", "p2.jpg", "p3.jpg"),
        request=_example("music-video-generator", 0),
        reply=("Finding the beat of song.mp3", "cuts on the beat"),
        status=(r"1\. Video: \d+ clips \(0-", r"2\. BGM: song\.mp3 \(0-.*100%"),
    ),
    SkillCase(
        alias="merge",
        skill="audio-video-to",
        uploads=("clip.mp4", "track.mp3"),
        request=_example("audio-video-to", 0),
        reply=("Replacing the sound of clip.mp4 with track.mp3", "Done — the video now plays your audio"),
        status=(r"1\. Video: clip\.mp4 \(0-.*0%", r"2\. Audio: track\.mp3 \(0-.*100%"),
    ),
)


def write_upload(folder: Path, name: str) -> Path:
    """A small file whose content (and so the simulator's made-up metadata) depends on its name."""
    path = folder / name
    path.write_bytes(name.encode() * 4000)
    return path


def status_lines_match(case: SkillCase, text: str) -> bool:
    return all(re.search(pattern, text) for pattern in case.status)
