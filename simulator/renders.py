"""Export (render) jobs: pending → processing → completed/failed, computed from elapsed time.

Nothing runs in the background: a job's status is a pure function of when it was submitted,
its (scaled) duration and its fate, so a stuck or failing job costs nothing to keep.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from simulator.config import SimulatorConfig
from simulator.media import Mp4File, build_mp4

JsonObject = dict[str, Any]
RenderFate = Literal["complete", "fail", "stuck"]

_PENDING_SHARE = 0.15  # first part of the duration spent queued
_FAIL_AT = 0.6
_STUCK_PROGRESS = 42
FAILURE_MESSAGE = "render failed: lambda worker exited unexpectedly"
CANCEL_MESSAGE = "render cancelled"


class RenderStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class DuplicateRenderError(Exception):
    """A render id is used once only, even after the first job failed."""


@dataclass(slots=True)
class RenderJob:
    """One export attempt under a client-chosen id."""

    render_id: str
    user_id: str
    session_id: str
    draft: JsonObject
    output: JsonObject
    created_at: float  # wall clock, seconds
    started: float  # monotonic clock, seconds
    duration: float  # real seconds until completion
    fate: RenderFate
    cancelled_at: float | None = None

    def progress_at(self, now: float) -> tuple[RenderStatus, int, str | None]:
        """Status, progress 0–100 and error at monotonic time `now`."""
        if self.cancelled_at is not None:
            return RenderStatus.FAILED, self._progress(self.cancelled_at), CANCEL_MESSAGE
        fraction = self._fraction(now)
        if self.fate == "fail" and fraction >= _FAIL_AT:
            return (
                RenderStatus.FAILED,
                self._progress(self.started + _FAIL_AT * self.duration),
                FAILURE_MESSAGE,
            )
        if self.fate == "stuck" and fraction >= _PENDING_SHARE:
            return RenderStatus.PROCESSING, min(_STUCK_PROGRESS, self._progress(now)), None
        if fraction >= 1.0:
            return RenderStatus.COMPLETED, 100, None
        if fraction < _PENDING_SHARE:
            return RenderStatus.PENDING, 5, None
        return RenderStatus.PROCESSING, self._progress(now), None

    def _fraction(self, when: float) -> float:
        return (when - self.started) / self.duration if self.duration > 0 else 1.0

    def _progress(self, when: float) -> int:
        fraction = self._fraction(when)
        if fraction < _PENDING_SHARE:
            return 5
        return min(99, 10 + int((fraction - _PENDING_SHARE) / (1 - _PENDING_SHARE) * 89))

    @property
    def duration_ms(self) -> int:
        value = self.draft.get("d")
        return int(value) if isinstance(value, (int, float)) and value > 0 else 10_000

    def dimensions(self) -> tuple[int, int]:
        """The draft's canvas, scaled so its short side matches ``output.resolution`` ("720p")."""
        width, height = 1920, 1080
        meta = self.draft.get("m")
        if isinstance(meta, dict):
            w, h = meta.get("width"), meta.get("height")
            if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0:
                width, height = w, h
        wanted = str(self.output.get("resolution", "")).lower().removesuffix("p")
        if wanted.isdigit() and 144 <= int(wanted) <= 4320:
            scale = int(wanted) / min(width, height)
            width, height = round(width * scale / 2) * 2, round(height * scale / 2) * 2
        return width, height


class RenderStore:
    """Render jobs by id, across all users (ids must be globally unique)."""

    def __init__(
        self,
        config: SimulatorConfig,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._monotonic = monotonic
        self._wall = wall
        self._jobs: dict[str, RenderJob] = {}

    def submit(
        self,
        *,
        render_id: str,
        user_id: str,
        session_id: str,
        draft: JsonObject,
        output: JsonObject,
        fate: RenderFate,
    ) -> RenderJob:
        if render_id in self._jobs:
            raise DuplicateRenderError(render_id)
        job = RenderJob(
            render_id=render_id,
            user_id=user_id,
            session_id=session_id,
            draft=copy.deepcopy(draft),
            output=dict(output),
            created_at=self._wall(),
            started=self._monotonic(),
            duration=self._config.scaled(self._config.render_seconds),
            fate=fate,
        )
        self._jobs[render_id] = job
        return job

    def get(self, render_id: str, user_id: str | None = None) -> RenderJob | None:
        job = self._jobs.get(render_id)
        if job is None or (user_id is not None and job.user_id != user_id):
            return None
        return job

    def status(self, job: RenderJob) -> tuple[RenderStatus, int, str | None]:
        return job.progress_at(self._monotonic())

    def cancel(self, job: RenderJob) -> bool:
        """Stop a job that has not finished; False if it already completed or failed."""
        status, _, _ = self.status(job)
        if status in (RenderStatus.COMPLETED, RenderStatus.FAILED):
            return False
        job.cancelled_at = self._monotonic()
        return True

    def mp4(self, job: RenderJob) -> Mp4File:
        width, height = job.dimensions()
        return build_mp4(width, height, job.duration_ms, pad_to=self._config.render_output_bytes)

    def view(self, job: RenderJob, base_url: str) -> JsonObject:
        """The poll response body, in the configured shape (docs §8.1)."""
        status, progress, error = self.status(job)
        created_ms = round(job.created_at * 1000)
        url = f"{base_url}/render-result/{job.render_id}.mp4"
        with_url = self._config.render_output_url
        if self._config.render_poll_shape == "toplevel":
            body: JsonObject = {"taskId": job.render_id, "status": status.value, "progress": progress}
            if status is RenderStatus.COMPLETED:
                body["output"] = {"duration": job.duration_ms / 1000, "size": self.mp4(job).size}
                if with_url:
                    body["output"]["url"] = url
            if error is not None:
                body["error"] = error
            return body
        data: JsonObject = {"id": job.render_id, "status": status.value, "progress": progress}
        if status is RenderStatus.COMPLETED and with_url:
            data["outputUrl"] = url
        data["createdAt"] = created_ms
        if status is RenderStatus.COMPLETED:
            data["completedAt"] = created_ms + round(job.duration * 1000)
        if error is not None:
            data["error"] = error
        return {"success": True, "data": data}
