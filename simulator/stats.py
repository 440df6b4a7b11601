"""What the simulator saw, for tests to assert on (e.g. "the client never re-sent a turn")."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields

from simulator.faults import Endpoint


@dataclass(slots=True)
class Stats:
    """Counters kept by a running simulator; `reset()` zeroes them."""

    # Requests per endpoint, and those of them that lacked any X-Skill-* header.
    requests: Counter[Endpoint] = field(default_factory=Counter)
    missing_skill_headers: Counter[Endpoint] = field(default_factory=Counter)
    # X-Skill-Source values seen on attributed requests, and those that name no known skill.
    skill_sources: Counter[str] = field(default_factory=Counter)
    unknown_skill_sources: Counter[str] = field(default_factory=Counter)
    # /run_sse requests per session id named in the body (counted even if rejected).
    run_sse_by_session: Counter[str] = field(default_factory=Counter)
    tokens_issued: int = 0
    accounts_created: int = 0
    render_submissions: int = 0
    uploaded_files: int = 0
    uploaded_bytes: int = 0
    # Token-level partial text events sent (only for requests that asked for streaming).
    partial_events: int = 0
    turns_started: int = 0
    turns_completed: int = 0
    turns_aborted: int = 0
    sse_drops: int = 0
    faults_fired: Counter[str] = field(default_factory=Counter)

    def run_sse_calls(self, session_id: str) -> int:
        return self.run_sse_by_session[session_id]

    def reset(self) -> None:
        fresh = Stats()
        for item in fields(self):
            setattr(self, item.name, getattr(fresh, item.name))
