"""ADK Event JSON (camelCase, nulls omitted) and the SSE frames that carry it, heartbeats included."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum
from typing import Any

from simulator.envelopes import dumps
from simulator.ids import IdFactory

JsonObject = dict[str, Any]
AUTHOR = "nemo_agent"


class FrameKind(Enum):
    EVENT = "event"
    HEARTBEAT = "heartbeat"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class SseFrame:
    """Bytes for the wire plus what they are, so the stream writer can aim drop faults."""

    data: bytes
    kind: FrameKind
    has_final_text: bool = False
    has_tool_call: bool = False


# Every keep-alive form the docs say a client must tolerate (§4.6): the exact bytes are unknown.
HEARTBEATS: tuple[bytes, ...] = (
    b": keep-alive\n\n",
    b"data:\n\n",
    b'data: {"type":"heartbeat"}\n\n',
    b"event: heartbeat\n\n",
    b"data: heartbeat\n\n",
)


def heartbeat_frame(index: int) -> SseFrame:
    return SseFrame(HEARTBEATS[index % len(HEARTBEATS)], FrameKind.HEARTBEAT)


def error_frame(message: str, code: str | None = None) -> SseFrame:
    body: JsonObject = {"error": message}
    if code is not None:
        body["errorCode"] = code
        body["errorMessage"] = message
    return SseFrame(f"data: {dumps(body)}\n\n".encode(), FrameKind.ERROR)


class EventFactory:
    """Builds the ADK events of one invocation (one turn)."""

    def __init__(self, ids: IdFactory, invocation_id: str) -> None:
        self._ids = ids
        self.invocation_id = invocation_id

    def _event(self, parts: list[JsonObject], role: str, **extra: Any) -> JsonObject:
        event: JsonObject = {
            "content": {"parts": parts, "role": role},
            "invocationId": self.invocation_id,
            "author": AUTHOR,
            "actions": {"stateDelta": {}, "artifactDelta": {}, "requestedAuthConfigs": {}},
            **{key: value for key, value in extra.items() if value is not None},
        }
        event["id"] = self._ids.event_id()
        event["timestamp"] = round(time.time(), 3)
        return event

    def partial_text(self, text: str) -> SseFrame:
        return _frame(self._event([{"text": text}], "model", partial=True))

    def final_text(self, text: str) -> SseFrame:
        words = max(1, len(text.split()))
        usage = {
            "promptTokenCount": 812,
            "candidatesTokenCount": words * 2,
            "totalTokenCount": 812 + words * 2,
        }
        event = self._event([{"text": text}], "model", finishReason="STOP", usageMetadata=usage)
        return _frame(event, has_final_text=True)

    def thought(self, text: str) -> SseFrame:
        return _frame(self._event([{"text": text, "thought": True}], "model"))

    def function_call(self, call_id: str, name: str, args: JsonObject) -> SseFrame:
        part = {"functionCall": {"id": call_id, "name": name, "args": args}}
        return _frame(self._event([part], "model", longRunningToolIds=[]), has_tool_call=True)

    def function_response(self, call_id: str, name: str, response: JsonObject) -> SseFrame:
        part = {"functionResponse": {"id": call_id, "name": name, "response": response}}
        return _frame(self._event([part], "user"))


def _frame(event: JsonObject, *, has_final_text: bool = False, has_tool_call: bool = False) -> SseFrame:
    data = f"data: {dumps(event)}\n\n".encode()
    return SseFrame(data, FrameKind.EVENT, has_final_text=has_final_text, has_tool_call=has_tool_call)
