"""The client against a real llama.cpp server (``manage.py serve_llm``) serving the tiny
deterministic model: every reply is exactly "one two three four five six seven eight nine ten"."""

from __future__ import annotations

import pytest

from docproc.pipeline.llm.client import ChatMessage, Completion, ContextOverflowError, LLMClient
from tests.conftest import TINY_CONTEXT, TINY_MODEL
from tests.factories.tiny_gguf import REPLY
from tests.support.llm_servers import http_json

HELLO = [ChatMessage("user", "hi")]
# The tiny model's template renders this as "user: hi\nassistant:" (20 bytes, one token each)
# after the BOS token.
HELLO_PROMPT_TOKENS = 21
# Ten words and the end-of-sequence token.
REPLY_TOKENS = 11


def test_context_length_is_discovered_from_the_server(tiny_llm_server):
    assert tiny_llm_server.context_length() == TINY_CONTEXT


def test_count_tokens_matches_the_servers_own_tokenizer(tiny_llm_server, tiny_llm_process):
    text = "one two three"

    served = http_json("POST", f"{tiny_llm_process.root_url}/tokenize", {"content": text})

    assert tiny_llm_server.count_tokens(text) == len(served["tokens"]) == 14


def test_count_chat_tokens_is_what_the_server_bills_as_prompt_tokens(tiny_llm_server):
    counted = tiny_llm_server.count_chat_tokens(HELLO)

    completion = tiny_llm_server.chat(HELLO, max_tokens=20)

    assert counted == completion.prompt_tokens == HELLO_PROMPT_TOKENS


def test_chat_returns_the_whole_reply_and_stops(tiny_llm_server):
    completion = tiny_llm_server.chat(HELLO, max_tokens=20)

    assert completion.text == REPLY
    assert completion.finish_reason == "stop"
    assert completion.completion_tokens == REPLY_TOKENS
    assert completion.model == TINY_MODEL


def test_chat_stops_at_max_tokens_with_finish_reason_length(tiny_llm_server):
    completion = tiny_llm_server.chat(HELLO, max_tokens=3)

    assert completion.text == "one two three"
    assert completion.finish_reason == "length"
    assert completion.completion_tokens == 3


def test_chat_stops_before_a_stop_string(tiny_llm_server):
    completion = tiny_llm_server.chat(HELLO, max_tokens=20, stop=["three"])

    assert completion.text == "one two "
    assert completion.finish_reason == "stop"


def test_stream_deltas_join_to_the_reply_and_end_with_usage(tiny_llm_server):
    items = list(tiny_llm_server.stream_chat(HELLO, max_tokens=20))

    deltas, final = items[:-1], items[-1]
    assert deltas == ["one"] + [f" {word}" for word in REPLY.split()[1:]]
    assert isinstance(final, Completion)
    assert final.text == "".join(deltas) == REPLY
    assert final.finish_reason == "stop"
    assert (final.prompt_tokens, final.completion_tokens) == (HELLO_PROMPT_TOKENS, REPLY_TOKENS)


def test_stream_stops_at_max_tokens_with_finish_reason_length(tiny_llm_server):
    *deltas, final = tiny_llm_server.stream_chat(HELLO, max_tokens=3)

    assert deltas == ["one", " two", " three"]
    assert (final.text, final.finish_reason, final.completion_tokens) == (
        "one two three",
        "length",
        3,
    )


def test_a_prompt_that_fits_exactly_with_max_tokens_is_sent(tiny_llm_server):
    room = TINY_CONTEXT - HELLO_PROMPT_TOKENS

    completion = tiny_llm_server.chat(HELLO, max_tokens=room)

    assert completion.text == REPLY


def test_one_token_too_many_raises_context_overflow_without_a_chat(
    tiny_llm_server, tiny_llm_process
):
    room = TINY_CONTEXT - HELLO_PROMPT_TOKENS
    before = tiny_llm_process.slot_tasks()

    with pytest.raises(ContextOverflowError, match=f"context is {TINY_CONTEXT} tokens"):
        tiny_llm_server.chat(HELLO, max_tokens=room + 1)

    assert tiny_llm_process.slot_tasks() == before


def test_an_overlong_prompt_raises_context_overflow_without_a_chat(
    tiny_llm_server, tiny_llm_process
):
    long_prompt = [ChatMessage("user", "word " * 200)]
    before = tiny_llm_process.slot_tasks()

    with pytest.raises(ContextOverflowError):
        tiny_llm_server.chat(long_prompt, max_tokens=10)
    with pytest.raises(ContextOverflowError):
        tiny_llm_server.stream_chat(long_prompt, max_tokens=10)

    assert tiny_llm_process.slot_tasks() == before


def test_the_slot_probe_sees_every_chat_that_is_sent(tiny_llm_server, tiny_llm_process):
    """The no-request proof above is only worth something if the probe can fail."""
    before = tiny_llm_process.slot_tasks()

    tiny_llm_server.chat(HELLO, max_tokens=3)

    assert tiny_llm_process.slot_tasks() != before


def test_the_servers_own_overflow_refusal_is_a_context_overflow(tiny_llm_process):
    # A client told the context is far larger than it is: the server has to refuse it.
    with LLMClient(tiny_llm_process.base_url, TINY_MODEL, context_length=100_000) as client:
        with pytest.raises(ContextOverflowError, match="512"):
            client.chat([ChatMessage("user", "word " * 200)], max_tokens=10)


def test_health_is_true_for_a_running_server(tiny_llm_server):
    assert tiny_llm_server.health() is True
