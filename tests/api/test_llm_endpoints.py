"""The ask, summary and extract endpoints: object permissions, exact error codes, and real
answers from the tiny model's server."""

from __future__ import annotations

import json

import pytest

from docproc.services import answers, retrieval, summaries
from docproc.services.dense_search import IndexUnavailableError
from tests.factories.files import make_text_pdf
from tests.factories.rows import make_matter

pytestmark = pytest.mark.django_db

PAGES = [
    "1. PAYMENT\n\nInvoices are payable within thirty days of receipt by bank transfer.",
    "2. TERM\n\nThe agreement runs for thirty-six months from the effective date.",
]


@pytest.fixture
def indexed(index_document, make_member):
    matter, document = index_document("api-llm", "msa.pdf", make_text_pdf(PAGES))
    viewer = make_member("viewer", "vera", in_matter=matter)
    return matter, document, viewer


def test_ask_returns_an_answer_with_verified_citations_and_accounting(
    indexed, api_as, answers_from_tiny_model
):
    matter, _, viewer = indexed

    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/ask/", {"question": "When are invoices payable?"},
        format="json",
    )  # fmt: skip

    body = response.json()
    assert response.status_code == 200
    assert body["found"] is True
    assert body["citations"] and all(c["verified"] for c in body["citations"])
    assert set(body["context"]) == {
        "tokens_used", "token_budget", "compression_ratio", "pages_used", "pages_left_out",
    }  # fmt: skip
    assert body["context"]["tokens_used"] <= body["context"]["token_budget"]


def test_streamed_ask_is_json_lines_ending_in_the_answer(indexed, api_as, answers_from_tiny_model):
    matter, _, viewer = indexed

    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/ask/",
        {"question": "When are invoices payable?", "stream": True}, format="json",
    )  # fmt: skip

    events = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert events[0]["type"] == "delta" and events[-1]["type"] == "answer"


def test_a_stream_that_fails_after_it_began_ends_in_an_error_event(indexed, api_as, monkeypatch):
    """The 200 has gone out when retrieval fails: the error is the stream's last event."""
    matter, _, viewer = indexed

    def needs_rebuild(*args, **kwargs):
        raise IndexUnavailableError("This matter's search index must be rebuilt.")

    monkeypatch.setattr(retrieval, "hybrid_search", needs_rebuild)

    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/ask/", {"question": "When?", "stream": True}, format="json"
    )

    events = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert response.status_code == 200
    assert events == [
        {
            "type": "error",
            "code": "temporarily_unavailable",
            "detail": "This matter's search index must be rebuilt.",
        }
    ]


def test_ask_by_a_non_member_is_not_found(indexed, api_as, make_user):
    matter, _, _ = indexed

    response = api_as(make_user("mallory")).post(
        f"/api/v1/matters/{matter.pk}/ask/", {"question": "Anything?"}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_ask_about_a_document_of_another_matter_is_not_found(indexed, api_as, make_document):
    matter, _, viewer = indexed
    elsewhere = make_document("other.pdf", in_matter=make_matter("elsewhere"))

    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/ask/",
        {"question": "Anything?", "documents": [elsewhere.pk]}, format="json",
    )  # fmt: skip

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_empty_question_is_invalid(indexed, api_as):
    matter, _, viewer = indexed

    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/ask/", {"question": "   "}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert "question" in response.json()["errors"]


def test_llm_server_down_answers_by_quoting_the_documents_with_the_reason(
    indexed, api_as, llm_down
):
    matter, _, viewer = indexed

    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/ask/", {"question": "When are invoices payable?"},
        format="json",
    )  # fmt: skip

    body = response.json()
    assert (response.status_code, body["found"], body["method"]) == (200, True, "extractive")
    assert [c["verified"] for c in body["citations"]] == [True]
    assert "payable within thirty days" in body["citations"][0]["quote"]
    assert body["warnings"] == [answers.MODEL_UNAVAILABLE_NOTE.format(reason="connection refused")]
    assert (body["routing"]["endpoint"], body["routing"]["reason"]) == (
        None, "no_model_available",
    )  # fmt: skip


def test_llm_server_down_streams_the_quoted_answer_as_the_only_event(indexed, api_as, llm_down):
    matter, _, viewer = indexed

    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/ask/",
        {"question": "When are invoices payable?", "stream": True}, format="json",
    )  # fmt: skip

    events = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert [(e["type"], e["method"]) for e in events] == [("answer", "extractive")]
    assert events[0]["warnings"] == [
        answers.MODEL_UNAVAILABLE_NOTE.format(reason="connection refused")
    ]


def test_extraction_with_the_llm_server_down_is_503_saying_why(indexed, api_as, llm_down):
    _, document, viewer = indexed

    response = api_as(viewer).post(
        f"/api/v1/documents/{document.pk}/extract/", {"schema": "contract"}, format="json"
    )

    assert (response.status_code, response.json()) == (
        503,
        {
            "code": "llm_unavailable",
            "detail": "The language model is unavailable (connection refused); try again shortly.",
        },
    )


def test_summary_with_the_llm_server_down_quotes_the_opening_sentences_marked_so(
    indexed, api_as, llm_down
):
    _, document, viewer = indexed

    response = api_as(viewer).post(f"/api/v1/documents/{document.pk}/summary/", {}, format="json")

    body = response.json()
    assert (response.status_code, body["method"], body["model"]) == (
        200, "extractive (opening sentences)", None,
    )  # fmt: skip
    assert body["statements"] == [
        "“Invoices are payable within thirty days of receipt by bank transfer.”",
        "“The agreement runs for thirty-six months from the effective date.”",
    ]
    assert [c["verified"] for c in body["citations"]] == [True, True]
    assert body["warnings"] == [summaries.OPENING_NOTE.format(reason="connection refused")]


def test_summary_of_a_document_still_processing_is_409(api_as, make_document, viewer):
    document = make_document("draft.pdf", status="embedding")

    response = api_as(viewer).post(f"/api/v1/documents/{document.pk}/summary/", {}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "conflict")


def test_summary_states_coverage(indexed, api_as, answers_from_tiny_model):
    _, document, viewer = indexed

    response = api_as(viewer).post(f"/api/v1/documents/{document.pk}/summary/", {}, format="json")

    body = response.json()
    assert response.status_code == 200
    assert body["coverage"] == {"pages_covered": 2, "pages_total": 2}
    assert set(body) >= {"summary", "citations", "coverage"}


def test_extract_with_an_unknown_schema_is_invalid(indexed, api_as):
    _, document, viewer = indexed

    response = api_as(viewer).post(
        f"/api/v1/documents/{document.pk}/extract/", {"schema": "horoscope"}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert response.json()["errors"]["schema"][0].startswith("Unknown schema 'horoscope'")
