"""Test-side client for the simulator: plain httpx plus a small SSE parser of our own."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

SKILL_HEADERS = {"X-Skill-Source": "nemo-video", "X-Skill-Version": "1.9", "X-Skill-Platform": "unknown"}
JsonObject = dict[str, Any]


@dataclass
class SseBlock:
    """One SSE block (lines up to a blank line), kept raw so tests can see every heartbeat form."""

    event: str | None = None
    data: str | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.data) if self.data else None
        except json.JSONDecodeError:
            return None


def parse_sse(raw: str) -> list[SseBlock]:
    blocks: list[SseBlock] = []
    current = SseBlock()
    touched = False
    for line in raw.split("\n"):
        if line == "":
            if touched:
                blocks.append(current)
            current, touched = SseBlock(), False
            continue
        touched = True
        if line.startswith(":"):
            current.comments.append(line[1:].strip())
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            current.data = value if current.data is None else current.data + "\n" + value
        elif name == "event":
            current.event = value
    if touched:
        blocks.append(current)
    return blocks


def is_heartbeat(block: SseBlock) -> bool:
    payload = block.json
    return (
        (block.comments and block.data is None)
        or block.event == "heartbeat"
        or block.data in ("", "heartbeat")
        or (isinstance(payload, dict) and payload.get("type") == "heartbeat")
    )


@dataclass
class TurnResult:
    status: int
    content_type: str
    raw: str
    blocks: list[SseBlock]

    @property
    def events(self) -> list[JsonObject]:
        """ADK events (and error objects), heartbeats left out."""
        found = [block.json for block in self.blocks if not is_heartbeat(block)]
        return [event for event in found if isinstance(event, dict)]

    @property
    def final_texts(self) -> list[str]:
        return [
            part["text"]
            for event in self.events
            if not event.get("partial") and "content" in event
            for part in event["content"]["parts"]
            if "text" in part and not part.get("thought")
        ]

    @property
    def partial_texts(self) -> list[str]:
        return [
            part["text"]
            for event in self.events
            if event.get("partial")
            for part in event["content"]["parts"]
        ]

    def _parts_with(self, key: str) -> list[JsonObject]:
        return [
            part[key]
            for event in self.events
            for part in event.get("content", {}).get("parts", [])
            if key in part
        ]

    def tool_calls(self) -> list[str]:
        return [call["name"] for call in self._parts_with("functionCall")]

    def tool_results(self) -> list[str]:
        return [result["name"] for result in self._parts_with("functionResponse")]


class Api:
    """A minimal client, written from the docs, that the tests drive the simulator with."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.token = ""
        self.user_id = ""
        self.session_id = ""
        self.task_id = ""

    async def login(self, client_id: str = "client-1") -> JsonObject:
        response = await self.client.post("/api/auth/anonymous-token", headers={"X-Client-Id": client_id})
        body: JsonObject = response.json()
        assert body["code"] == 0, body
        self.token = body["data"]["token"]
        self.user_id = body["data"]["user_id"]
        self.client.headers["Authorization"] = f"Bearer {self.token}"
        return body

    async def new_session(self, task_name: str = "project", language: str = "en") -> str:
        response = await self.client.post(
            "/api/tasks/me/with-session/nemo_agent", json={"task_name": task_name, "language": language}
        )
        body = response.json()
        assert body["code"] == 0, body
        self.session_id = body["data"]["session_id"]
        self.task_id = body["data"]["task_id"]
        return self.session_id

    def run_body(self, text: str, **extra: Any) -> JsonObject:
        return {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": self.session_id,
            "new_message": {"parts": [{"text": text}]},
            **extra,
        }

    async def turn(self, text: str, body: JsonObject | None = None) -> TurnResult:
        """Send one turn and read the whole stream (tolerating an abrupt close)."""
        chunks: list[str] = []
        async with self.client.stream(
            "POST", "/run_sse", json=body or self.run_body(text), headers={"Accept": "text/event-stream"}
        ) as response:
            try:
                async for chunk in response.aiter_text():
                    chunks.append(chunk)  # noqa: PERF401 - a comprehension would lose chunks on a drop
            except httpx.RemoteProtocolError:
                chunks.append("\n\n")  # dropped: keep what arrived
            raw = "".join(chunks)
            return TurnResult(response.status_code, response.headers["content-type"], raw, parse_sse(raw))

    async def state(self) -> JsonObject:
        response = await self.client.get(f"/api/state/nemo_agent/me/{self.session_id}/latest")
        body = response.json()
        assert body["code"] == 0, body
        state: JsonObject = body["data"]["state"]
        return state

    async def credits(self) -> JsonObject:
        body = (await self.client.get("/api/credits/balance/simple")).json()
        assert body["code"] == 0, body
        data: JsonObject = body["data"]
        return data

    async def upload(self, *files: tuple[str, bytes]) -> httpx.Response:
        return await self.client.post(
            f"/api/upload-video/nemo_agent/me/{self.session_id}",
            files=[("files", (name, content)) for name, content in files],
        )

    async def submit_render(self, render_id: str, draft: JsonObject | None = None) -> httpx.Response:
        if draft is None:
            draft = (await self.state())["draft"]
        body = {"id": render_id, "sessionId": self.session_id, "draft": draft, "output": {"format": "mp4"}}
        return await self.client.post("/api/render/proxy/lambda", json=body)

    async def render_status(self, render_id: str) -> JsonObject:
        body: JsonObject = (await self.client.get(f"/api/render/proxy/lambda/{render_id}")).json()
        return body


def tracks_of(state: JsonObject, track_type: int) -> list[JsonObject]:
    return [track for track in state["draft"]["t"] if track["tt"] == track_type]
