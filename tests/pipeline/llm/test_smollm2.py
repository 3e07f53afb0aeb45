"""The bundled SmolLM2-135M-Instruct served by ``manage.py serve_llm``, as in the default install.
The model is weak, so these tests assert the protocol (counts, schema, streaming), not wisdom."""

from __future__ import annotations

import json

import jsonschema
import pytest

from docproc.pipeline.llm.client import ChatMessage, Completion
from tests.conftest import SMOLLM2_CONTEXT, SMOLLM2_MODEL
from tests.support.llm_servers import http_json

pytestmark = pytest.mark.slow

QUESTION = [
    ChatMessage("system", "Answer in one short sentence."),
    ChatMessage("user", "What is the capital of France?"),
]
RECORD_SCHEMA = {
    "type": "object",
    "properties": {
        "patient": {"type": "string", "maxLength": 60},
        "age": {"type": "integer", "minimum": 0, "maximum": 130},
        "discharged": {"type": "boolean"},
    },
    "required": ["patient", "age", "discharged"],
    "additionalProperties": False,
}


def test_context_length_is_discovered_from_the_server(smollm2_server):
    assert smollm2_server.context_length() == SMOLLM2_CONTEXT


def test_count_tokens_matches_the_servers_tokenizer(smollm2_server, smollm2_process):
    text = "Section 4.2(b): the Supplier shall pay £1,250.00 within 30 days."

    served = http_json("POST", f"{smollm2_process.root_url}/tokenize", {"content": text})

    assert smollm2_server.count_tokens(text) == len(served["tokens"])


@pytest.mark.parametrize(
    "messages",
    [
        pytest.param(QUESTION, id="with-system"),
        # SmolLM2's template adds its own system message when there is none.
        pytest.param(QUESTION[1:], id="template-adds-system"),
    ],
)
def test_count_chat_tokens_is_what_the_server_bills(smollm2_server, messages):
    counted = smollm2_server.count_chat_tokens(messages)

    completion = smollm2_server.chat(messages, max_tokens=24)

    assert completion.prompt_tokens == counted
    assert completion.model == SMOLLM2_MODEL


def test_json_schema_output_validates_against_the_schema(smollm2_server):
    messages = [
        ChatMessage("system", "Extract the record as JSON."),
        ChatMessage("user", "John Smith, 54, was discharged home on 3 May 2024."),
    ]

    completion = smollm2_server.chat(messages, max_tokens=120, json_schema=RECORD_SCHEMA)

    jsonschema.validate(json.loads(completion.text), RECORD_SCHEMA)
    assert completion.finish_reason == "stop"
    # The grammar that enforces the schema costs no prompt tokens: the count stays exact.
    assert completion.prompt_tokens == smollm2_server.count_chat_tokens(messages)


def test_stream_deltas_join_to_the_final_text_with_usage(smollm2_server):
    *deltas, final = smollm2_server.stream_chat(QUESTION, max_tokens=24)

    assert isinstance(final, Completion)
    assert all(isinstance(delta, str) for delta in deltas)
    assert "".join(deltas) == final.text
    assert final.prompt_tokens == smollm2_server.count_chat_tokens(QUESTION)
    assert 1 <= final.completion_tokens <= 24
