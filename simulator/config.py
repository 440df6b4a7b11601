"""Settings of the NemoVideo simulator.

Everything the docs leave open (HTTP status per error code, render poll shape, missing-session
reply on `/run_sse`, ...) is a knob here, so a client can be tested against each variant.
Fields are read at request time: a test may change them on a running simulator.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

RenderPollShape = Literal["v44", "toplevel"]
MissingSessionReply = Literal["adk_404", "code_1002"]
KnownClientPolicy = Literal["reissue", "rate_limit"]
PartialsMode = Literal["always", "when_requested", "never"]

WEEK_SECONDS = 7 * 24 * 3600

# The published NemoVideo skills whose traffic the backend attributes (X-Skill-Source).
KNOWN_SKILLS = frozenset(
    {
        "nemo-video",
        "lipsyncvideo-ai",
        "ai-voiceover-for-video",
        "ai-voiceover-for",
        "music-video-generator",
        "audio-video-to",
    }
)


def _default_error_statuses() -> dict[int, int]:
    # The docs cannot say whether 400/402/429 arrive as HTTP statuses or as `code`s; the
    # business codes (1001, 2001, ...) ride on HTTP 200 like the CLI's client expects.
    return {400: 400, 402: 402, 429: 429}


@dataclass(slots=True)
class SimulatorConfig:
    """Behaviour knobs of one simulator instance.

    Durations named `*_seconds` are *simulated* times: each is multiplied by `time_scale`
    before use, so `time_scale=0.01` turns a 150 s generation into 1.5 s. Fault durations
    (`Fault.seconds`) and the token lifetime are wall-clock and never scaled.
    """

    seed: int = 0
    # Uploaded files land here; None means a temporary directory removed on stop.
    data_dir: Path | None = None
    time_scale: float = 1.0

    # Accounts and auth.
    initial_credits: int = 100
    token_ttl_seconds: float = WEEK_SECONDS
    # New anonymous accounts per IP within `token_ttl_seconds`; the real cap is 10, the default
    # is generous so test suites never trip it by accident.
    new_accounts_per_ip: int = 1000
    # What a second anonymous-token request from a client id whose token is still live gets.
    known_client_policy: KnownClientPolicy = "reissue"
    claim_token_ttl_seconds: int = WEEK_SECONDS

    # Error presentation.
    error_http_status: dict[int, int] = field(default_factory=_default_error_statuses)
    # The skills' error table says 1002 for a missing session; ADK's own 404 stays a variant.
    missing_session_reply: MissingSessionReply = "code_1002"
    duplicate_render_http_status: int = 409
    require_skill_headers_for_export: bool = True
    # Attribution: an X-Skill-Source outside this set counts as unattributed (export refused with
    # 402, like missing headers) and is tallied in `Stats.unknown_skill_sources`. None accepts any.
    known_skills: frozenset[str] | None = KNOWN_SKILLS
    # Later docs elide `user_id` from the token and create-session answers; the state answer
    # then carries it (the skills: "get <id> from create-session or state response").
    elide_user_ids: bool = False

    # Credits reserved (frozen) while a turn runs and consumed when it ends.
    generation_cost: int = 100
    edit_cost: int = 50
    chat_cost: int = 5

    # Simulated durations (scaled by time_scale).
    chat_seconds: float = 3.0
    edit_seconds: float = 15.0
    generation_seconds: float = 150.0
    music_seconds: float = 20.0
    lipsync_seconds: float = 75.0  # "about 60-90 seconds depending on clip length"
    voiceover_seconds: float = 20.0
    beat_sync_seconds: float = 30.0
    merge_seconds: float = 10.0
    heartbeat_interval_seconds: float = 15.0
    partial_chunk_seconds: float = 0.3
    render_seconds: float = 30.0

    # Stream flavour.
    # ADK sends token-level partials only when the request says `"streaming": true`.
    partials: PartialsMode = "when_requested"
    thought_rate: float = 0.3
    noise_rate: float = 0.1
    # Share of edit turns that close after their tool calls with no text (docs §4.6: ~30 %),
    # drawn from the turn's seeded rng. None: the older rule, titles and effects only.
    silent_edit_rate: float | None = 0.3

    # Uploads and renders.
    upload_max_bytes: int = 500 * 1024 * 1024
    json_body_max_bytes: int = 32 * 1024 * 1024
    # Pad render outputs to this many bytes (a `free` box streamed on the fly); None = natural size.
    render_output_bytes: int | None = None
    # Current skills (4.5.1 → 1.9): top-level `status`, file at `output.url`; v4.4's `data.outputUrl`
    # stays a variant.
    render_poll_shape: RenderPollShape = "toplevel"
    # False: a completed render names no CDN URL (only the authenticated proxy download serves it).
    render_output_url: bool = True

    def scaled(self, seconds: float) -> float:
        """A simulated duration in real seconds."""
        return max(0.0, seconds * self.time_scale)

    def http_status_for(self, code: int) -> int:
        """The HTTP status that carries an error `code` (200 unless configured)."""
        return self.error_http_status.get(code, 200)

    def replace(self, **changes: Any) -> SimulatorConfig:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def demo(cls, **changes: Any) -> SimulatorConfig:
        """Feels real but quick: a generation takes ~5 s, a render ~1 s, heartbeats every ~0.5 s.

        Starts accounts with 500 credits so a demo can generate once and edit a few times
        before meeting 2001 (the real 100 covers exactly one generation).
        """
        base: dict[str, Any] = {"time_scale": 0.03, "initial_credits": 500}
        base.update(changes)
        return cls(**base)

    @classmethod
    def fast(cls, **changes: Any) -> SimulatorConfig:
        """For test suites: every simulated delay is tiny, no random noise text is added, and only
        titles and effects are silent edits (so a test knows which turns have text)."""
        base: dict[str, Any] = {
            "time_scale": 0.002,
            "noise_rate": 0.0,
            "partial_chunk_seconds": 0.5,
            "silent_edit_rate": None,
        }
        base.update(changes)
        return cls(**base)
