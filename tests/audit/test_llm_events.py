"""What the model-backed endpoints record, answered by a REAL llama.cpp server with the tiny
model: the question, the answer shown and the chunks it came from; the model, its tokens and
latency for answers, summaries and extraction."""

from __future__ import annotations

import hashlib
import json

import pytest

from docproc.models import Chunk
from tests.audit.conftest import ADDRESS, REQUEST_ID, events, from_client, only, who_what_where
from tests.conftest import TINY_LARGE_MODEL
from tests.factories.files import make_text_pdf

pytestmark = pytest.mark.django_db

PAGES = [
    "1. PAYMENT\n\nInvoices are payable within thirty days of receipt by bank transfer.",
    "2. TERM\n\nThe agreement runs for thirty-six months from the effective date.",
]


@pytest.fixture
def indexed(index_document, make_member, settings, tiny_answer_server):
    """A two-page contract, indexed, a viewer of its matter, and the tiny model as the LLM."""
    settings.LLM_BASE_URL = tiny_answer_server.base_url
    settings.LLM_MODEL = tiny_answer_server.model
    settings.LLM_ANSWER_TOKENS = 48
    settings.LLM_SUMMARY_TOKENS = 48
    settings.LLM_EXTRACTION_TOKENS = 64
    matter, document = index_document("audit-llm", "msa.pdf", make_text_pdf(PAGES))
    viewer = make_member("viewer", "vera", in_matter=matter)
    return matter, document, viewer


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_question_is_recorded_with_the_answer_shown_its_chunks_and_the_models_usage(
    indexed, api_as
):
    matter, document, viewer = indexed

    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/ask/", {"question": "When are invoices payable?"},
        format="json", **from_client(),
    )  # fmt: skip

    body, record = response.json(), only("ask")
    document_chunks = set(Chunk.objects.filter(document=document).values_list("pk", flat=True))
    assert who_what_where(record) == (
        viewer.pk, "vera", matter.pk, "audit-llm", "", "", ADDRESS, REQUEST_ID,
    )  # fmt: skip
    assert {k: v for k, v in record.details.items() if k != "chunk_ids"} == {
        "question": "When are invoices payable?",
        "answer_sha256": sha256(body["answer"]),
        "answer_chars": len(body["answer"]),
        "found": True,
        "method": body["method"],
        "citations": [
            {"document": c["document"], "page": c["page"], "verified": c["verified"]}
            for c in body["citations"]
        ],
        "documents": None,
        "streamed": False,
        "model": body["model"],
        "routing": body["routing"],
        "warnings": body["warnings"],
        "prompt_tokens": body["usage"]["prompt_tokens"],
        "completion_tokens": body["usage"]["completion_tokens"],
        "latency_s": body["usage"]["latency_s"],
    }
    assert record.details["chunk_ids"] and set(record.details["chunk_ids"]) <= document_chunks
    assert record.details["prompt_tokens"] > 0


def test_a_question_escalated_to_the_large_model_is_recorded_with_its_routing(
    indexed, api_as, two_tiny_models
):
    matter, _, viewer = indexed

    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/ask/", {"question": "When are invoices payable?"},
        format="json",
    )  # fmt: skip

    record = only("ask")
    assert (record.details["routing"], record.details["model"]) == (
        response.json()["routing"], TINY_LARGE_MODEL,
    )  # fmt: skip
    assert [(a["endpoint"], a["outcome"]) for a in record.details["routing"]["attempts"]] == [
        ("small", "unverified"), ("large", "unverified"),
    ]  # fmt: skip


def test_a_question_answered_without_the_model_is_recorded_saying_why(indexed, api_as, llm_down):
    matter, _, viewer = indexed

    api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/ask/", {"question": "When are invoices payable?"},
        format="json",
    )  # fmt: skip

    details = only("ask").details
    assert (details["method"], details["model"], details["routing"]["reason"]) == (
        "extractive", "", "no_model_available",
    )  # fmt: skip
    assert details["warnings"] == [
        "The language model is unavailable (connection refused), so no model wrote this answer: "
        "it quotes the passages that best match the question."
    ]


def test_a_streamed_question_is_recorded_once_with_the_answer_it_ended_with(indexed, api_as):
    matter, document, viewer = indexed

    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/ask/",
        {"question": "When are invoices payable?", "stream": True, "documents": [document.pk]},
        format="json", **from_client(),
    )  # fmt: skip
    final = json.loads(b"".join(response.streaming_content).splitlines()[-1])

    record = only("ask")
    assert (record.client_address, record.request_id) == (ADDRESS, REQUEST_ID)
    assert (record.details["answer_sha256"], record.details["model"]) == (
        sha256(final["answer"]), final["model"],
    )  # fmt: skip
    assert (record.details["streamed"], record.details["documents"]) == (True, [document.pk])
    assert record.details["completion_tokens"] == final["usage"]["completion_tokens"]


def test_the_answer_text_is_not_kept_in_the_audit_log(indexed, api_as):
    """Administrators who are not members read the log: it holds the answer's digest and
    length, never the words quoted from the matter's documents."""
    matter, _, viewer = indexed

    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/ask/", {"question": "When are invoices payable?"},
        format="json",
    )  # fmt: skip

    answer, record = response.json()["answer"], only("ask")
    assert answer and "answer" not in record.details
    assert answer not in json.dumps(record.details, ensure_ascii=False)


def test_a_question_about_documents_outside_the_users_matters_is_recorded_as_denied(
    indexed, api_as, make_document, other_matter
):
    matter, _, viewer = indexed
    elsewhere = make_document("other.pdf", in_matter=other_matter)

    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/ask/",
        {"question": "Anything?", "documents": [elsewhere.pk]}, format="json",
    )  # fmt: skip

    assert response.status_code == 404
    assert only("access_denied").details == {
        "reason": "documents outside the user's matters",
        "status": 404,
        "documents": [elsewhere.pk],
    }
    assert events("ask") == []


def test_a_summary_is_recorded_with_the_model_tokens_and_latency(indexed, api_as):
    matter, document, viewer = indexed

    response = api_as(viewer).post(
        f"/api/v1/documents/{document.pk}/summary/", {}, format="json", **from_client()
    )

    body, record = response.json(), only("summary")
    assert who_what_where(record) == (
        viewer.pk, "vera", matter.pk, "audit-llm", "document", str(document.pk),
        ADDRESS, REQUEST_ID,
    )  # fmt: skip
    details = dict(record.details)
    spent = details.pop("prompt_tokens") + details.pop("completion_tokens")
    latency = details.pop("latency_s")
    assert details == {
        "cached": False,
        "method": body["method"],
        "coverage": body["coverage"],
        "model": body["model"],
        "routing": body["routing"],
        "warnings": body["warnings"],
    }
    assert (spent, latency > 0) == (body["tokens"], True)


def test_a_cached_summary_is_recorded_as_cached_with_no_tokens_spent(indexed, api_as):
    _, document, viewer = indexed
    api_as(viewer).post(f"/api/v1/documents/{document.pk}/summary/", {}, format="json")

    api_as(viewer).get(f"/api/v1/documents/{document.pk}/summary/")

    _, second = events("summary")
    assert (second.details["cached"], second.details["prompt_tokens"]) == (True, 0)
    assert (second.details["completion_tokens"], second.details["latency_s"]) == (0, 0.0)


def test_an_extraction_is_recorded_with_field_names_and_usage_but_not_values(indexed, api_as):
    matter, document, viewer = indexed
    schema = {
        "title": "payment",
        "type": "object",
        "properties": {"payment_days": {"type": "string", "description": "Days to pay."}},
    }

    response = api_as(viewer).post(
        f"/api/v1/documents/{document.pk}/extract/", {"schema": schema}, format="json",
        **from_client(),
    )  # fmt: skip

    body, record = response.json(), only("extract")
    assert (record.actor_name, record.target_id, record.request_id) == (
        "vera", str(document.pk), REQUEST_ID,
    )  # fmt: skip
    assert record.details == {
        "schema": "payment",
        "fields": {"payment_days": body["fields"]["payment_days"]["verified"]},
        "model": body["model"],
        "routing": body["routing"],
        "warnings": body["warnings"],
        **body["usage"],
    }
