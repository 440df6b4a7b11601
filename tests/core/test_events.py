"""parse_sse_message: one SSE message in, typed agent events out, never an exception."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.nemo.events import (
    AgentEvent,
    Heartbeat,
    StreamError,
    TextChunk,
    ToolCall,
    ToolResult,
    parse_sse_message,
)

ACTIONS: dict[str, object] = {"stateDelta": {}, "artifactDelta": {}, "requestedAuthConfigs": {}}


def adk(*parts: dict[str, object], **top: object) -> str:
    """An ADK Event line as api_server writes it (camelCase, nulls omitted)."""
    event: dict[str, object] = {
        "content": {"parts": list(parts), "role": "model"},
        "invocationId": "e-1",
        "author": "nemo_agent",
        "actions": ACTIONS,
        "id": "Qm3fP0aZ",
        "timestamp": 1773423600.12,
    }
    event.update(top)
    return json.dumps(event)


class TestHeartbeats:
    @pytest.mark.parametrize(
        ("data", "event"),
        [
            ("", ""),
            ("   \n", ""),
            ("heartbeat", ""),
            (" Heartbeat ", ""),
            ('{"type":"heartbeat"}', ""),
            ('"heartbeat"', ""),
            ("anything", "heartbeat"),
            ('{"type":"text","content":"ignored"}', "heartbeat"),
        ],
    )
    def test_every_heartbeat_form_is_a_heartbeat(self, data: str, event: str) -> None:
        assert parse_sse_message(data, event) == [Heartbeat()]

    def test_the_default_sse_event_name_does_not_make_a_heartbeat(self) -> None:
        assert parse_sse_message(adk({"text": "hi"}), "message") == [TextChunk("hi", False, "nemo_agent")]


class TestAdkText:
    def test_final_text_becomes_a_non_partial_chunk_with_its_author(self) -> None:
        line = adk({"text": "Sure — generating a 10-second city timelapse now."})
        assert parse_sse_message(line) == [
            TextChunk("Sure — generating a 10-second city timelapse now.", partial=False, author="nemo_agent")
        ]

    def test_partial_flag_comes_from_the_event_top_level(self) -> None:
        assert parse_sse_message(adk({"text": "Your vid"}, partial=True)) == [
            TextChunk("Your vid", partial=True, author="nemo_agent")
        ]

    def test_thought_parts_are_hidden(self) -> None:
        line = adk({"text": "Let me think about pacing", "thought": True}, {"text": "Done!"})
        assert parse_sse_message(line) == [TextChunk("Done!", False, "nemo_agent")]

    def test_empty_text_parts_are_skipped(self) -> None:
        assert parse_sse_message(adk({"text": ""})) == []

    def test_whitespace_fragments_are_kept_because_partials_are_concatenated(self) -> None:
        assert parse_sse_message(adk({"text": " "}, partial=True)) == [TextChunk(" ", True, "nemo_agent")]

    def test_media_and_code_parts_are_ignored(self) -> None:
        line = adk(
            {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
            {"fileData": {"fileUri": "gs://x", "mimeType": "video/mp4"}},
            {"executableCode": {"code": "print(1)", "language": "PYTHON"}},
            {"codeExecutionResult": {"outcome": "OUTCOME_OK"}},
        )
        assert parse_sse_message(line) == []

    def test_text_authored_by_the_user_is_never_echoed_back(self) -> None:
        assert parse_sse_message(adk({"text": "make it blue"}, author="user")) == []

    def test_several_text_parts_give_several_chunks_in_order(self) -> None:
        events = parse_sse_message(adk({"text": "One."}, {"text": "Two."}))
        assert [e.text for e in events if isinstance(e, TextChunk)] == ["One.", "Two."]


class TestAdkTools:
    def test_function_call_becomes_a_tool_call(self) -> None:
        line = adk(
            {
                "functionCall": {
                    "id": "adk-7c1e",
                    "name": "generate_video_with_seedance",
                    "args": {"prompt": "city timelapse", "duration": 10},
                }
            },
            longRunningToolIds=[],
        )
        assert parse_sse_message(line) == [
            ToolCall("generate_video_with_seedance", "adk-7c1e", {"prompt": "city timelapse", "duration": 10})
        ]

    def test_function_response_becomes_a_tool_result(self) -> None:
        part = {"functionResponse": {"id": "adk-7c1e", "name": "edit_multitrack", "response": {"ok": 1}}}
        line = json.dumps({"content": {"parts": [part], "role": "user"}, "author": "nemo_agent"})
        assert parse_sse_message(line) == [ToolResult("edit_multitrack", "adk-7c1e", {"ok": 1})]

    def test_snake_case_keys_are_tolerated(self) -> None:
        line = json.dumps(
            {
                "content": {
                    "parts": [
                        {"function_call": {"name": "edit_multitrack", "args": {"op": "add_title"}}},
                        {"function_response": {"name": "edit_multitrack", "response": {"status": "ok"}}},
                    ]
                },
                "error_code": "SAFETY",
                "error_message": "blocked",
            }
        )
        assert parse_sse_message(line) == [
            ToolCall("edit_multitrack", None, {"op": "add_title"}),
            ToolResult("edit_multitrack", None, {"status": "ok"}),
            StreamError("blocked", "SAFETY"),
        ]

    def test_tool_call_without_args_gets_an_empty_mapping(self) -> None:
        line = adk({"functionCall": {"name": "ask_question"}})
        assert parse_sse_message(line) == [ToolCall("ask_question")]


class TestErrors:
    def test_top_level_error_string(self) -> None:
        assert parse_sse_message('{"error": "Session not found"}') == [StreamError("Session not found")]

    def test_top_level_error_object_with_message_and_code(self) -> None:
        line = '{"error": {"message": "insufficient credits", "code": 2001}}'
        assert parse_sse_message(line) == [StreamError("insufficient credits", "2001")]

    def test_error_code_and_message_keys(self) -> None:
        line = '{"errorCode": "SAFETY", "errorMessage": "The response was blocked."}'
        assert parse_sse_message(line) == [StreamError("The response was blocked.", "SAFETY")]

    def test_error_code_alone_is_used_as_the_message(self) -> None:
        assert parse_sse_message('{"errorCode": 500}') == [StreamError("500", "500")]

    def test_content_comes_before_the_error_of_the_same_event(self) -> None:
        line = adk({"text": "Partial answer"}, errorCode="MAX_TOKENS", errorMessage="cut short")
        assert parse_sse_message(line) == [
            TextChunk("Partial answer", False, "nemo_agent"),
            StreamError("cut short", "MAX_TOKENS"),
        ]

    def test_invalid_json_error_line_from_adk_2025_is_salvaged(self) -> None:
        assert parse_sse_message('{"error": "bad "quote" here"}') == [StreamError('bad "quote" here')]

    def test_salvaged_error_line_without_a_message_still_reports_an_error(self) -> None:
        events = parse_sse_message('{"error": ""')
        assert len(events) == 1
        assert isinstance(events[0], StreamError)
        assert events[0].message

    def test_structured_error_values_are_not_echoed_as_json(self) -> None:
        (event,) = parse_sse_message('{"error": [1, {"x": 2}]}')
        assert isinstance(event, StreamError)
        assert "{" not in event.message

    def test_error_false_means_no_error(self) -> None:
        assert parse_sse_message('{"error": false}') == []


class TestTypeKeyedShape:
    def test_text_with_content(self) -> None:
        assert parse_sse_message('{"type":"text","content":"Hello"}') == [TextChunk("Hello", False)]

    def test_text_with_text_key(self) -> None:
        assert parse_sse_message('{"type":"text","text":"Hello"}') == [TextChunk("Hello", False)]

    def test_tool_call(self) -> None:
        line = '{"type":"tool_call","name":"edit_multitrack","args":{"op":"trim"}}'
        assert parse_sse_message(line) == [ToolCall("edit_multitrack", None, {"op": "trim"})]

    def test_tool_result_with_a_mapping(self) -> None:
        line = '{"type":"tool_result","name":"edit_multitrack","result":{"ok":true}}'
        assert parse_sse_message(line) == [ToolResult("edit_multitrack", None, {"ok": True})]

    def test_tool_result_with_a_scalar_is_wrapped(self) -> None:
        line = '{"type":"tool_result","name":"edit_multitrack","result":"done"}'
        assert parse_sse_message(line) == [ToolResult("edit_multitrack", None, {"result": "done"})]

    @pytest.mark.parametrize("line", ['{"type":"error","message":"boom"}', '{"type":"error","error":"boom"}'])
    def test_error(self, line: str) -> None:
        assert parse_sse_message(line) == [StreamError("boom")]

    def test_a_type_key_beside_an_adk_content_object_is_parsed_as_adk(self) -> None:
        line = '{"type":"text","content":{"parts":[{"text":"Hi"}]},"author":"nemo_agent"}'
        assert parse_sse_message(line) == [TextChunk("Hi", False, "nemo_agent")]

    def test_done_carries_nothing(self) -> None:
        assert parse_sse_message('{"type":"done"}') == []


class TestUnknownInput:
    @pytest.mark.parametrize(
        "data",
        [
            ": keep-alive",
            "[DONE]",
            "Traceback (most recent call last):",
            "<html>502 Bad Gateway</html>",
            "[1, 2, 3]",
            "42",
            "null",
            '{"foo": "bar"}',
            '{"type": "thinking", "content": "hmm"}',
            '{"content": "not a content object"}',
            '{"content": {"parts": "nope"}}',
            '{"content": {"parts": [1, "x", null]}}',
        ],
    )
    def test_unknown_or_raw_protocol_text_is_dropped(self, data: str) -> None:
        assert parse_sse_message(data) == []

    def test_deeply_nested_json_is_dropped_not_raised(self) -> None:
        assert parse_sse_message("[" * 100_000 + "]" * 100_000) == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "content", "parts", "text", "thought", "partial", "author", "functionCall", "function_call",
        "functionResponse", "function_response", "name", "id", "args", "response", "error", "errorCode",
        "errorMessage", "error_code", "type", "message", "code", "result", "role",
    ]
)  # fmt: skip
ADKISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=5)
    | st.sampled_from(["text", "tool_call", "tool_result", "error", "heartbeat", "done", "user"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=30,
)


def _check(events: list[AgentEvent]) -> None:
    assert isinstance(events, list)
    for event in events:
        assert isinstance(event, TextChunk | ToolCall | ToolResult | Heartbeat | StreamError)
        if isinstance(event, TextChunk):
            assert isinstance(event.text, str)
            assert event.text
        if isinstance(event, StreamError):
            assert isinstance(event.message, str)
            assert event.message


@given(st.text(), st.text(max_size=12))
def test_arbitrary_strings_never_raise(data: str, event: str) -> None:
    _check(parse_sse_message(data, event))


@given(JSON)
def test_arbitrary_json_never_raises(value: object) -> None:
    _check(parse_sse_message(json.dumps(value)))


@given(st.dictionaries(KEYS, ADKISH, max_size=6))
def test_arbitrary_adk_shaped_json_never_raises(value: object) -> None:
    _check(parse_sse_message(json.dumps(value)))


def _is_json(data: str) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


@given(st.text())
def test_invalid_json_error_lines_always_become_one_stream_error(tail: str) -> None:
    line = '{"error": ' + tail
    assume(not _is_json(line))
    (event,) = parse_sse_message(line)
    assert isinstance(event, StreamError)
    _check([event])
