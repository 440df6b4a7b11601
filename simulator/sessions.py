"""Tasks/sessions and the per-session state the state endpoint returns."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from simulator import draft as drafts
from simulator.ids import IdFactory

JsonObject = dict[str, Any]


def _new_state(title: str) -> JsonObject:
    return {
        "video_infos": [],
        "draft": drafts.new_draft(title, 1920, 1080),
        "canvas_config": {"width": 1920, "height": 1080, "aspect_ratio": "16:9", "fps": 30},
        "video_analyses": {},
        "generated_media": [],
    }


@dataclass(slots=True)
class Session:
    """One project: a task, its chat session with the agent, and the state the agent edits."""

    session_id: str
    task_id: str
    task_name: str
    language: str
    user_id: str
    state: JsonObject = field(default_factory=dict)
    turns: int = 0
    # The X-Skill-Source the session was created under ("" when unattributed).
    skill: str = ""

    @property
    def draft(self) -> JsonObject:
        value: JsonObject = self.state["draft"]
        return value

    @property
    def video_infos(self) -> list[JsonObject]:
        value: list[JsonObject] = self.state["video_infos"]
        return value

    def snapshot(self) -> JsonObject:
        """The state endpoint's `data`; a deep copy so callers never alias live state."""
        return {
            "session_id": self.session_id,
            "task_id": self.task_id,
            "task_name": self.task_name,
            "user_id": self.user_id,
            "state": copy.deepcopy(self.state),
        }

    def set_canvas(self, width: int, height: int) -> None:
        aspect = "9:16" if height > width else ("1:1" if height == width else "16:9")
        self.state["canvas_config"].update({"width": width, "height": height, "aspect_ratio": aspect})
        self.draft["m"].update({"width": width, "height": height})


class SessionStore:
    """All sessions; a session is visible only to the user who created it."""

    def __init__(self, ids: IdFactory) -> None:
        self._ids = ids
        self._sessions: dict[str, Session] = {}

    def create(self, user_id: str, task_name: str, language: str, *, skill: str = "") -> Session:
        session = Session(
            session_id=self._ids.session_id(),
            task_id=self._ids.task_id(),
            task_name=task_name,
            language=language,
            user_id=user_id,
            state=_new_state(task_name),
            skill=skill,
        )
        self._sessions[session.session_id] = session
        return session

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def find(self, user_id: str, session_id: str) -> Session | None:
        session = self._sessions.get(session_id)
        return session if session is not None and session.user_id == user_id else None

    def delete(self, session_id: str) -> bool:
        return self._sessions.pop(session_id, None) is not None
