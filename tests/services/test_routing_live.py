"""Routing between a small and a large model, against two REAL llama.cpp servers on loopback:
the tiny model with 1,024 tokens of context as "small" and with 4,096 as "large" (both reply
"one two three ... ten", which never verifies). Down endpoints are addresses nobody listens on.
"""

from __future__ import annotations

import io
import json
import time

import pytest
from django.core.management import call_command

from docproc.services import answers, extraction, routing, summaries
from tests.conftest import TINY_LARGE_MODEL, TINY_MODEL
from tests.factories.files import make_text_pdf
from tests.support.llm_servers import FakeServer, llamacpp_routes, pick_free_port

pytestmark = pytest.mark.django_db

PAGES = [
    "1. PAYMENT\n\nInvoices are payable within thirty days of receipt by bank transfer.",
    "2. FEES\n\nThe annual fee rose from 1,200 euros in 2023 to 1,500 euros in 2024.",
]
# Twelve clauses that all bear on invoices: more than the small model's context holds.
CONTRACT = [
    f"{n}. CLAUSE {n}\n\nThe supplier shall deliver the services described in schedule {n} "
    f"with reasonable care. Invoices under clause {n} are payable within thirty days of receipt. "
    f"Disputes under clause {n} go first to the steering committee."
    for n in range(1, 13)
]
QUESTION = "When are invoices payable?"


def attempt(endpoint: str, model: str, outcome: str, detail: str = "") -> dict:
    return {"endpoint": endpoint, "model": model, "outcome": outcome, "detail": detail}


@pytest.fixture
def short_contract(index_document):
    return index_document("routing", "msa.pdf", make_text_pdf(PAGES))


def test_an_unverified_small_answer_is_retried_once_on_the_large_model(
    short_contract, two_tiny_models
):
    matter, _ = short_contract

    answer = answers.ask(matter, QUESTION)

    assert answer.routing == {
        "model": TINY_LARGE_MODEL,
        "endpoint": "large",
        "reason": routing.UNVERIFIED,
        "escalated": True,
        "attempts": [
            attempt("small", TINY_MODEL, "unverified"),
            attempt("large", TINY_LARGE_MODEL, "unverified"),
        ],
        "explanation": (
            f"Retried on the large model {TINY_LARGE_MODEL} because the small model "
            f"{TINY_MODEL}'s answer could not be verified against the documents."
        ),
    }


def test_an_answer_that_fails_verification_on_both_models_quotes_the_documents(
    short_contract, two_tiny_models
):
    matter, _ = short_contract

    answer = answers.ask(matter, QUESTION)

    assert (answer.method, answer.model, answer.model_answer) == (
        "extractive", TINY_LARGE_MODEL, "one two three four five six seven eight nine ten",
    )  # fmt: skip
    assert answer.warnings == [answers.EXTRACTIVE_NOTE]
    assert [c["verified"] for c in answer.citations] == [True]


def test_a_question_that_needs_a_calculation_goes_straight_to_the_large_model(
    short_contract, two_tiny_models
):
    matter, _ = short_contract

    answer = answers.ask(matter, "By how much did the annual fee increase?")

    assert (answer.routing["endpoint"], answer.routing["reason"]) == ("large", "calculation")
    assert (answer.routing["escalated"], answer.routing["attempts"]) == (
        False, [attempt("large", TINY_LARGE_MODEL, "unverified")],
    )  # fmt: skip


def test_a_question_whose_passages_overflow_the_small_context_goes_to_the_large_model(
    index_document, two_tiny_models
):
    matter, _ = index_document("routing-long", "msa.pdf", make_text_pdf(CONTRACT))

    answer = answers.ask(matter, QUESTION)

    assert (answer.routing["endpoint"], answer.routing["reason"]) == ("large", "context")
    assert answer.routing["attempts"] == [attempt("large", TINY_LARGE_MODEL, "unverified")]


def test_the_large_model_down_keeps_the_small_models_answer_with_a_warning(
    short_contract, large_model_down
):
    matter, _ = short_contract

    answer = answers.ask(matter, QUESTION)

    assert (answer.routing["endpoint"], answer.routing["reason"], answer.model) == (
        "small", "default", TINY_MODEL,
    )  # fmt: skip
    assert answer.routing["attempts"] == [
        attempt("large", "large-but-down", "unavailable", "connection refused"),
        attempt("small", TINY_MODEL, "unverified"),
    ]
    assert answer.warnings == [
        answers.EXTRACTIVE_NOTE,
        "The large model (large-but-down) is unavailable (connection refused); the small "
        "model's result is kept.",
    ]


def test_the_small_model_down_hands_the_question_to_the_large_model(
    short_contract, two_tiny_models, settings
):
    matter, _ = short_contract
    settings.LLM_BASE_URL = f"http://127.0.0.1:{pick_free_port()}/v1"
    settings.LLM_MAX_RETRIES = 0

    answer = answers.ask(matter, QUESTION)

    assert (answer.routing["endpoint"], answer.routing["reason"], answer.model) == (
        "large", "small_unavailable", TINY_LARGE_MODEL,
    )  # fmt: skip
    assert answer.routing["attempts"] == [
        attempt("small", TINY_MODEL, "unavailable", "connection refused"),
        attempt("large", TINY_LARGE_MODEL, "unverified"),
    ]


def test_both_models_down_answer_with_quotes_and_say_why(
    short_contract, large_model_down, settings
):
    matter, _ = short_contract
    settings.LLM_BASE_URL = f"http://127.0.0.1:{pick_free_port()}/v1"

    answer = answers.ask(matter, QUESTION)

    assert (answer.method, answer.found, answer.routing["reason"]) == (
        "extractive", True, "no_model_available",
    )  # fmt: skip
    assert answer.routing["attempts"] == [
        attempt("small", TINY_MODEL, "unavailable", "connection refused"),
        attempt("large", "large-but-down", "unavailable", "connection refused"),
    ]
    assert answer.warnings == [answers.MODEL_UNAVAILABLE_NOTE.format(reason="connection refused")]


def test_a_model_that_does_not_answer_in_time_is_reported_as_timed_out(short_contract, settings):
    """A server that accepts the connection and then says nothing (no real server does that on
    demand, hence the stand-in): the answer quotes the documents and says it timed out."""
    matter, _ = short_contract

    def hang(handler, body):
        time.sleep(3)

    with FakeServer(llamacpp_routes(hang) | {("GET", "/v1/models"): hang}) as silent:
        settings.LLM_BASE_URL, settings.LLM_MODEL = silent.base_url, "silent"
        settings.LLM_TIMEOUT_S, settings.LLM_MAX_RETRIES = 0.5, 0
        answer = answers.ask(matter, QUESTION)

    assert answer.routing["attempts"] == [attempt("small", "silent", "unavailable", "timed out")]
    assert answer.warnings == [answers.MODEL_UNAVAILABLE_NOTE.format(reason="timed out")]


def test_a_model_found_down_is_not_asked_again_by_the_next_question(
    short_contract, llm_down, settings
):
    matter, _ = short_contract
    answers.ask(matter, QUESTION)

    second = answers.ask(matter, QUESTION)

    assert second.routing["attempts"] == [
        attempt("small", settings.LLM_MODEL, "unavailable",
                "connection refused; not asked again yet"),
    ]  # fmt: skip
    assert second.method == "extractive"


def test_with_no_cooldown_a_model_found_down_is_asked_again(short_contract, llm_down, settings):
    matter, _ = short_contract
    settings.LLM_DOWN_COOLDOWN_S = 0
    answers.ask(matter, QUESTION)

    second = answers.ask(matter, QUESTION)

    assert second.routing["attempts"] == [
        attempt("small", settings.LLM_MODEL, "unavailable", "connection refused"),
    ]


def test_a_streamed_escalation_says_so_between_the_two_models_texts(
    short_contract, two_tiny_models
):
    matter, _ = short_contract

    events = list(answers.stream_ask(matter, QUESTION))

    kinds = [e["type"] for e in events]
    switch = kinds.index("routing")
    small_text = "".join(e["text"] for e in events[:switch])
    large_text = "".join(e["text"] for e in events[switch + 1 : -1])
    assert (set(kinds[:switch]), set(kinds[switch + 1 : -1]), kinds[-1]) == (
        {"delta"}, {"delta"}, "answer",
    )  # fmt: skip
    assert small_text == large_text == "one two three four five six seven eight nine ten"
    assert (events[switch]["endpoint"], events[switch]["model"]) == ("large", TINY_LARGE_MODEL)
    assert events[-1]["routing"]["escalated"] is True


def test_the_cli_answers_with_quotes_when_the_only_model_is_down(short_contract, llm_down):
    matter, _ = short_contract
    out = io.StringIO()

    call_command("ask", "--matter", matter.slug, QUESTION, stdout=out)

    printed = json.loads(out.getvalue())
    assert (printed["method"], printed["routing"]["reason"]) == ("extractive", "no_model_available")
    assert printed["warnings"] == [
        answers.MODEL_UNAVAILABLE_NOTE.format(reason="connection refused")
    ]


def test_a_summary_of_a_long_document_is_written_by_the_large_model(
    short_contract, two_tiny_models, settings
):
    _, document = short_contract
    settings.LLM_ROUTE_LARGE_PAGES = 2

    result = summaries.summarize(document)

    assert (result["model"], result["routing"]["reason"]) == (TINY_LARGE_MODEL, "long_document")
    assert result["routing"]["attempts"] == [attempt("large", TINY_LARGE_MODEL, "done")]


def test_a_summary_of_a_short_document_is_written_by_the_small_model(
    short_contract, two_tiny_models
):
    _, document = short_contract

    result = summaries.summarize(document)

    assert (result["model"], result["routing"]["reason"]) == (TINY_MODEL, "default")


def test_an_extraction_whose_large_model_is_down_is_made_by_the_small_one_with_a_warning(
    short_contract, large_model_down, settings
):
    _, document = short_contract
    settings.LLM_ROUTE_LARGE_PAGES = 2
    schema = {"type": "object", "properties": {"payment_days": {"type": "string"}}}

    result = extraction.extract(document, schema)

    assert (result["model"], result["routing"]["reason"]) == (TINY_MODEL, "large_unavailable")
    assert result["warnings"] == [
        "The large model (large-but-down) is unavailable (connection refused); the small "
        "model's result is kept."
    ]
