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
    missing_session_reply: MissingSessionReply = "adk_404"
    duplicate_render_http_status: int = 409
    require_skill_headers_for_export: bool = True

    # Credits reserved (frozen) while a turn runs and consumed when it ends.
    generation_cost: int = 100
    edit_cost: int = 50
    chat_cost: int = 5

    # Simulated durations (scaled by time_scale).
    chat_seconds: float = 3.0
    edit_seconds: float = 15.0
    generation_seconds: float = 150.0
    music_seconds: float = 20.0
    heartbeat_interval_seconds: float = 15.0
    partial_chunk_seconds: float = 0.3
    render_seconds: float = 30.0

    # Stream flavour.
    partials: PartialsMode = "always"
    thought_rate: float = 0.3
    noise_rate: float = 0.1

    # Uploads and renders.
    upload_max_bytes: int = 500 * 1024 * 1024
    json_body_max_bytes: int = 32 * 1024 * 1024
    # Pad render outputs to this many bytes (a `free` box streamed on the fly); None = natural size.
    render_output_bytes: int | None = None
    render_poll_shape: RenderPollShape = "v44"

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
        """For test suites: every simulated delay is tiny and no random noise text is added."""
        base: dict[str, Any] = {"time_scale": 0.002, "noise_rate": 0.0, "partial_chunk_seconds": 0.5}
        base.update(changes)
        return cls(**base)
