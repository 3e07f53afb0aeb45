"""How the client fails: locally for bad requests, LLMUnavailableError (after bounded retries,
quickly) for a server that is down, slow or failing, LLMResponseError for 200s it cannot use, and
LLMError with the server's message for other refusals. The misbehaving servers are small local
HTTP servers (tests.support.llm_servers.FakeServer): no real server misbehaves on demand."""

from __future__ import annotations

import json
import time

import pytest

from docproc.pipeline.llm.client import (
    ChatMessage,
    Completion,
    ContextOverflowError,
    LLMClient,
    LLMError,
    LLMResponseError,
    LLMUnavailableError,
)
from docproc.pipeline.types import TransientError
from tests.support.llm_servers import FakeServer, completion_body, llamacpp_routes, pick_free_port

HELLO = [ChatMessage("user", "hi")]
TIMEOUT_S = 0.5
RETRIES = 2
# Time allowed on top of timeout x attempts: the backoff between attempts (at most
# 0.25 s + 0.5 s here) and scheduling.
SLACK_S = 1.5


def fast_client(base_url: str, **kwargs) -> LLMClient:
    kwargs = {"timeout_s": TIMEOUT_S, "max_retries": RETRIES} | kwargs
    return LLMClient(base_url, "fake", **kwargs)


def reply(text: str):
    return lambda handler, body: handler.send_json(200, completion_body(text))


# --- refused locally, before anything is sent -----------------------------------------------


@pytest.fixture
def nowhere() -> LLMClient:
    """A client of a port nothing listens on: whatever it raises, it raised without a server."""
    return fast_client(f"http://127.0.0.1:{pick_free_port()}/v1", context_length=512)


def test_an_empty_chat_is_refused_locally(nowhere):
    with pytest.raises(LLMError, match="at least one message") as raised:
        nowhere.chat([], max_tokens=10)
    assert not isinstance(raised.value, LLMUnavailableError)


def test_an_unknown_role_is_refused_locally(nowhere):
    with pytest.raises(LLMError, match="Unknown chat role 'robot'") as raised:
        nowhere.stream_chat([ChatMessage("robot", "hi")], max_tokens=10)
    assert not isinstance(raised.value, LLMUnavailableError)


def test_a_non_positive_max_tokens_is_refused_locally(nowhere):
    with pytest.raises(LLMError, match="max_tokens"):
        nowhere.chat(HELLO, max_tokens=0)


def test_an_invalid_json_schema_is_refused_before_the_chat():
    with FakeServer(llamacpp_routes(reply("{}"))) as server:
        client = fast_client(server.base_url)
        with pytest.raises(LLMError, match="schema is not valid"):
            client.chat(HELLO, max_tokens=10, json_schema={"type": "no-such-type"})
        assert server.count("POST", "/v1/chat/completions") == 0


# --- unavailable: down, slow, failing -------------------------------------------------------


def test_a_server_that_is_down_is_unavailable_after_bounded_retries_quickly(nowhere):
    started = time.monotonic()

    with pytest.raises(LLMUnavailableError, match=r"connection refused.*\(3 attempts\)"):
        nowhere.chat(HELLO, max_tokens=10)

    assert time.monotonic() - started < 10.0


def test_unavailable_is_a_transient_error_a_task_may_retry():
    assert issubclass(LLMUnavailableError, TransientError)
    assert issubclass(LLMUnavailableError, LLMError)


def test_a_server_slower_than_the_timeout_is_unavailable_within_the_time_bound():
    def slow(handler, body):
        time.sleep(5)
        handler.send_json(200, completion_body("late"))

    with FakeServer(llamacpp_routes(slow)) as server:
        client = fast_client(server.base_url)
        client.count_chat_tokens(HELLO)  # metadata first, so only the chat is timed
        client.context_length()
        started = time.monotonic()

        with pytest.raises(LLMUnavailableError, match="no answer within 0.5 s"):
            client.chat(HELLO, max_tokens=10)

        elapsed = time.monotonic() - started
        assert elapsed < TIMEOUT_S * (RETRIES + 1) + SLACK_S
        assert server.count("POST", "/v1/chat/completions") == RETRIES + 1


def test_a_stream_that_stalls_mid_answer_fails_instead_of_hanging():
    def stalls(handler, body):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()
        first = {"choices": [{"index": 0, "delta": {"content": "one"}, "finish_reason": None}]}
        handler.wfile.write(f"data: {json.dumps(first)}\n\n".encode())
        handler.wfile.flush()
        time.sleep(5)

    with FakeServer(llamacpp_routes(stalls)) as server:
        client = fast_client(server.base_url)
        stream = client.stream_chat(HELLO, max_tokens=10)
        assert next(stream) == "one"
        started = time.monotonic()

        with pytest.raises(LLMUnavailableError, match="stopped mid-answer"):
            next(stream)

        assert time.monotonic() - started < TIMEOUT_S + SLACK_S
        # What was already shown cannot be taken back, so a broken stream is not retried.
        assert server.count("POST", "/v1/chat/completions") == 1


def test_server_errors_are_retried_and_a_later_success_is_returned():
    calls = []

    def flaky(handler, body):
        calls.append(1)
        if len(calls) <= RETRIES:
            handler.send_json(503, {"error": {"message": "Loading model", "code": 503}})
        else:
            handler.send_json(200, completion_body("fine"))

    with FakeServer(llamacpp_routes(flaky)) as server:
        completion = fast_client(server.base_url).chat(HELLO, max_tokens=10)

        assert completion.text == "fine"
        assert server.count("POST", "/v1/chat/completions") == RETRIES + 1


def test_server_errors_on_every_attempt_are_unavailable_with_the_servers_message():
    def failing(handler, body):
        handler.send_json(500, {"error": {"message": "CUDA out of memory", "code": 500}})

    with FakeServer(llamacpp_routes(failing)) as server:
        with pytest.raises(LLMUnavailableError, match="HTTP 500 CUDA out of memory"):
            fast_client(server.base_url).chat(HELLO, max_tokens=10)
        assert server.count("POST", "/v1/chat/completions") == RETRIES + 1


def test_a_stream_refused_with_a_server_error_before_any_delta_is_retried():
    calls = []

    def flaky(handler, body):
        calls.append(1)
        if len(calls) == 1:
            handler.send_json(503, {"error": {"message": "busy"}})
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()
        chunks = [
            {"choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": None}]},
            {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
            {"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 1}},
        ]
        for chunk in chunks:
            handler.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        handler.wfile.write(b"data: [DONE]\n\n")

    with FakeServer(llamacpp_routes(flaky)) as server:
        items = list(fast_client(server.base_url).stream_chat(HELLO, max_tokens=10))

    assert items == [
        "ok",
        Completion("ok", "stop", 10, 1, items[-1].latency_s, "fake"),
    ]


# --- answered, but unusable ------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda h, b: h.send_raw(200, b"<html>proxy error</html>"), id="not-json"),
        pytest.param(lambda h, b: h.send_json(200, {"object": "chat.completion"}), id="no-choices"),
        pytest.param(lambda h, b: h.send_json(200, {"choices": []}), id="empty-choices"),
        pytest.param(
            lambda h, b: h.send_json(200, {"choices": [{"message": {"role": "assistant"}}]}),
            id="no-content",
        ),
    ],
)
def test_an_unusable_200_is_a_response_error_and_not_retried(answer):
    with FakeServer(llamacpp_routes(answer)) as server:
        with pytest.raises(LLMResponseError):
            fast_client(server.base_url).chat(HELLO, max_tokens=10)
        assert server.count("POST", "/v1/chat/completions") == 1


SCHEMA = {
    "type": "object",
    "properties": {"age": {"type": "integer"}},
    "required": ["age"],
}


def test_json_output_that_breaks_the_schema_is_a_response_error():
    with FakeServer(llamacpp_routes(reply('{"age": "fifty"}'))) as server:
        with pytest.raises(LLMResponseError, match="does not match the schema"):
            fast_client(server.base_url).chat(HELLO, max_tokens=10, json_schema=SCHEMA)


def test_output_that_is_not_json_is_a_response_error_when_a_schema_was_asked_for():
    with FakeServer(llamacpp_routes(reply('{"age": 5'))) as server:
        with pytest.raises(LLMResponseError, match="not valid JSON"):
            fast_client(server.base_url).chat(HELLO, max_tokens=10, json_schema=SCHEMA)


def test_the_schema_is_sent_as_an_openai_response_format():
    with FakeServer(llamacpp_routes(reply('{"age": 54}'))) as server:
        completion = fast_client(server.base_url).chat(
            HELLO, max_tokens=10, json_schema=SCHEMA, schema_name="patient"
        )
        (body,) = [b for m, p, b in server.requests if p == "/v1/chat/completions"]

    assert json.loads(completion.text) == {"age": 54}
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "patient", "schema": SCHEMA},
    }


# --- refused -------------------------------------------------------------------------------


def test_a_bad_request_is_an_llm_error_with_the_servers_message_and_not_retried():
    def refuses(handler, body):
        handler.send_json(
            400, {"error": {"message": "temperature must be >= 0", "type": "invalid_request_error"}}
        )

    with FakeServer(llamacpp_routes(refuses)) as server:
        with pytest.raises(LLMError, match="temperature must be >= 0") as raised:
            fast_client(server.base_url).chat(HELLO, max_tokens=10)
        assert type(raised.value) is LLMError
        assert server.count("POST", "/v1/chat/completions") == 1


def test_vllms_context_refusal_is_a_context_overflow():
    message = (
        "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens "
        "(4000 in the messages, 1000 in the completion)."
    )

    def refuses(handler, body):
        handler.send_json(400, {"object": "error", "message": message, "code": 400})

    with FakeServer(llamacpp_routes(refuses)) as server:
        with pytest.raises(ContextOverflowError, match="maximum context length is 4096"):
            fast_client(server.base_url).chat(HELLO, max_tokens=10)


# --- the vLLM dialect ------------------------------------------------------------------------


def vllm_routes(seen: list) -> dict:
    def tokenize(handler, body):
        seen.append(body)
        count = 42 if "messages" in body else 7
        handler.send_json(200, {"count": count, "max_model_len": 4096, "tokens": [0] * count})

    return {
        ("GET", "/v1/models"): lambda h, b: h.send_json(
            200,
            {"data": [{"id": "Org/Model-7B", "owned_by": "vllm", "max_model_len": 4096}]},
        ),
        ("POST", "/tokenize"): tokenize,
    }


def test_a_vllm_server_reports_its_context_as_max_model_len():
    with FakeServer(vllm_routes([])) as server:
        assert LLMClient(server.base_url, "Org/Model-7B").context_length() == 4096


def test_a_vllm_server_counts_text_and_chat_tokens_in_its_own_dialect():
    seen: list = []
    with FakeServer(vllm_routes(seen)) as server:
        client = LLMClient(server.base_url, "Org/Model-7B")

        assert client.count_tokens("Section 4.2(b)") == 7
        assert client.count_chat_tokens(HELLO) == 42

    assert seen == [
        {"model": "Org/Model-7B", "prompt": "Section 4.2(b)", "add_special_tokens": False},
        {
            "model": "Org/Model-7B",
            "messages": [{"role": "user", "content": "hi"}],
            "add_generation_prompt": True,
        },
    ]


def test_health_is_false_for_a_server_that_is_down(nowhere):
    assert nowhere.health() is False
