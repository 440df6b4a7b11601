"""Typed values the NemoVideo client returns, read leniently from the backend's JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

RenderPhase = Literal["pending", "processing", "completed", "failed", "cancelled", "unknown"]


@dataclass(frozen=True, slots=True)
class SkillAttribution:
    """Who is calling: sent as the three ``X-Skill-*`` headers on every request."""

    source: str
    version: str
    platform: str

    def headers(self) -> dict[str, str]:
        return {
            "X-Skill-Source": self.source,
            "X-Skill-Version": self.version,
            "X-Skill-Platform": self.platform,
        }


@dataclass(frozen=True, slots=True)
class AnonymousToken:
    """A token issued by ``/api/auth/anonymous-token`` (the token itself never appears in a repr)."""

    token: str = field(repr=False)
    user_id: str | None
    expires_at: datetime | None
    credits: int | None


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """An editing session: ``task_id`` for links, ``session_id`` for every other call."""

    task_id: str
    session_id: str
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """One file the backend accepted; the media fields are present when the backend returns them."""

    filename: str
    file_type: str
    cdn_url: str | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None


@dataclass(frozen=True, slots=True)
class UploadResult:
    files: tuple[UploadedFile, ...]


@dataclass(frozen=True, slots=True)
class Credits:
    """``available`` is spendable, ``frozen`` reserved for work in progress, ``total`` both."""

    available: int
    frozen: int
    total: int


@dataclass(frozen=True, slots=True)
class SessionState:
    """The session's latest state: uploaded media, the timeline draft and anything else it carries."""

    video_infos: tuple[Mapping[str, object], ...]
    draft: object
    user_id: str | None = None
    raw: Mapping[str, object] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class RenderStatus:
    """A render job as the poll endpoint reports it (any of the three documented shapes)."""

    render_id: str
    phase: RenderPhase
    progress: int | None = None
    output_url: str | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.phase in ("completed", "failed", "cancelled")


@dataclass(frozen=True, slots=True)
class ClaimToken:
    """A browser-only token (``clm_…``) for the NemoVideo web editor link."""

    token: str = field(repr=False)
    expires_in: int | None = None
