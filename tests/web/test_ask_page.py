"""The Ask page: the question form for members only and, without JavaScript, the answer
rendered by the server from the real tiny model: citations linked to their highlighted
passages, "not in the documents" said so, errors in plain words, every answer audited."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from rest_framework.test import APIClient

from docproc.models import AuditEvent, DocumentStatus
from docproc.services import answers
from tests.conftest import TINY_LARGE_MODEL, TINY_MODEL
from tests.factories.files import make_text_pdf

pytestmark = pytest.mark.django_db

PAGES = [
    "1. PAYMENT\n\nInvoices are payable within thirty days of receipt by bank transfer.",
    "2. TERM\n\nThe agreement runs for thirty-six months from the effective date.",
]
LEASE = ["The tenant shall keep the garden tidy and the hedges trimmed."]


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def parsed(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def target(href: str) -> tuple[str, int, int, int, str]:
    parts = urlsplit(href)
    query = {k: int(v[0]) for k, v in parse_qs(parts.query).items()}
    return parts.path, query["page"], query["start"], query["end"], parts.fragment


@pytest.fixture
def indexed(index_document, make_member):
    """A matter with two indexed documents (a contract, a lease) and a viewer of it."""
    matter, contract = index_document("web-ask", "msa.pdf", make_text_pdf(PAGES))
    _, lease = index_document("web-ask", "lease.pdf", make_text_pdf(LEASE))
    viewer = make_member("viewer", "vera", in_matter=matter)
    return matter, contract, lease, viewer


# --- the form ---------------------------------------------------------------------------------


def test_a_member_gets_the_form_with_the_matters_ready_documents(viewer, matter, make_document):
    lease = make_document("lease.pdf")
    deed = make_document("deed.pdf")
    make_document("draft.pdf", status=DocumentStatus.EMBEDDING)

    response = client_as(viewer).get(f"/matters/{matter.pk}/ask/")

    html = parsed(response)
    form = html.select_one("form#ask-form")
    boxes = form.select('input[type="checkbox"][name="documents"]')
    labels = [form.select_one(f'label[for="{box["id"]}"]').get_text() for box in boxes]
    assert response.status_code == 200
    assert (form["method"], form["action"]) == ("post", f"/matters/{matter.pk}/ask/")
    assert form["data-api-url"] == f"/api/v1/matters/{matter.pk}/ask/"
    assert form.select_one('label[for="question"]').get_text() == "Your question"
    assert form.select_one("textarea#question")["name"] == "question"
    assert [int(box["value"]) for box in boxes] == [deed.pk, lease.pk]
    assert labels == ["deed.pdf", "lease.pdf"]
    assert form.select_one('button[type="submit"]').get_text() == "Ask"
    assert html.select_one("#answer-stream")["aria-live"] == "polite"
    assert html.select_one("section#answer").has_attr("hidden")
    assert html.select_one("#ask-error")["role"] == "alert"


def test_an_outsider_gets_404_and_the_attempt_is_audited(outsider, matter):
    response = client_as(outsider).get(f"/matters/{matter.pk}/ask/")

    (record,) = AuditEvent.objects.filter(action="access_denied")
    assert response.status_code == 404
    assert (record.actor_id, record.target_type, record.target_id, record.details) == (
        outsider.pk, "matter", str(matter.pk),
        {"reason": "outside the user's matters", "status": 404},
    )  # fmt: skip


def test_an_anonymous_visitor_is_sent_to_login(matter):
    response = Client().get(f"/matters/{matter.pk}/ask/")

    assert (response.status_code, response["Location"]) == (
        302, f"/login/?next=/matters/{matter.pk}/ask/",
    )  # fmt: skip


# --- answers without JavaScript ---------------------------------------------------------------


def test_the_answer_is_rendered_with_citations_linked_to_their_passages(
    indexed, answers_from_tiny_model
):
    matter, contract, _, viewer = indexed
    pages = {page.number: page.text for page in contract.pages.all()}

    response = client_as(viewer).post(
        f"/matters/{matter.pk}/ask/", {"question": "When are invoices payable?"}
    )

    html = parsed(response)
    section = html.select_one("section#answer")
    links = section.select("ol#citations a.citation")
    assert response.status_code == 200
    assert not section.has_attr("hidden")
    assert "payable within thirty days" in section.select_one("#answer-text").get_text()
    assert section.select("#not-found") == []
    assert len(links) >= 1
    for link in links:
        path, page, start, end, fragment = target(link["href"])
        assert (path, fragment) == (f"/documents/{contract.pk}/", "passage")
        assert link.select_one("q.quote").get_text() == pages[page][start:end]
        assert "msa.pdf, page" in link.get_text()
        assert "citation-unverified" not in link["class"]
    assert section.select_one("#answer-warnings").get_text(" ", strip=True) == (
        f"Warning: {answers.EXTRACTIVE_NOTE}"
    )


def test_the_context_accounting_says_what_was_used_and_left_out(indexed, answers_from_tiny_model):
    matter, contract, lease, viewer = indexed
    question = "When are invoices payable?"
    names = {contract.pk: "msa.pdf", lease.pk: "lease.pdf"}

    response = client_as(viewer).post(f"/matters/{matter.pk}/ask/", {"question": question})

    accounting = parsed(response).select_one("section#answer #context-accounting")
    expected = answers.ask(matter, question, client=answers_from_tiny_model).context
    used = [a.get_text() for a in accounting.select('ul[aria-label="Pages used"] a')]
    left_out = [a.get_text() for a in accounting.select('ul[aria-label="Pages left out"] a')]
    assert accounting.select_one(".tokens").get_text(" ", strip=True) == (
        f"{expected['tokens_used']} of the {expected['token_budget']} tokens of the budget for "
        f"document text used; passages shortened {expected['compression_ratio']}× to fit."
    )
    assert used == [f"{names[p['document']]}, page {p['page']}" for p in expected["pages_used"]]
    assert left_out == [
        f"{names[p['document']]}, page {p['page']}" for p in expected["pages_left_out"]
    ]
    assert accounting.select_one(".pages-used").get_text() == f"Pages used: {len(used)}."
    assert ("msa.pdf, page 1" in used, "lease.pdf, page 1" in left_out) == (True, True)


def test_the_answer_shown_is_audited(indexed, answers_from_tiny_model):
    matter, _, _, viewer = indexed

    client_as(viewer).post(f"/matters/{matter.pk}/ask/", {"question": "When are invoices payable?"})

    (record,) = AuditEvent.objects.filter(action="ask")
    assert (record.actor_id, record.matter_id) == (viewer.pk, matter.pk)
    assert record.details["question"] == "When are invoices payable?"
    assert (record.details["found"], record.details["method"]) == (True, "extractive")
    assert (record.details["streamed"], record.details["documents"]) == (False, None)
    assert record.details["citations"] and all(c["verified"] for c in record.details["citations"])


def test_a_question_the_documents_do_not_answer_says_so_without_the_model(indexed, llm_down):
    matter, _, _, viewer = indexed

    response = client_as(viewer).post(
        f"/matters/{matter.pk}/ask/", {"question": "What is the capital of Peru?"}
    )

    section = parsed(response).select_one("section#answer")
    assert response.status_code == 200
    assert section.select_one("#not-found").get_text(" ", strip=True) == (
        f"Not in the documents: {answers.NOT_IN_DOCUMENTS}"
    )
    assert section.select("#answer-text, a.citation") == []
    assert section.select_one("#context-accounting .tokens").get_text(" ", strip=True) == (
        "0 tokens used: the language model was not asked, because no passage matched the "
        "question closely enough."
    )
    (record,) = AuditEvent.objects.filter(action="ask")
    assert (record.details["found"], record.details["answer_chars"]) == (
        False, len(answers.NOT_IN_DOCUMENTS),
    )  # fmt: skip


def test_narrowing_to_one_document_answers_from_that_document_only(
    indexed, answers_from_tiny_model
):
    matter, contract, lease, viewer = indexed

    response = client_as(viewer).post(
        f"/matters/{matter.pk}/ask/",
        {"question": "When are invoices payable?", "documents": [lease.pk]},
    )

    html = parsed(response)
    accounting = html.select_one("#context-accounting")
    pages = [a["href"] for a in accounting.select("ul.page-list a")]
    assert response.status_code == 200
    assert html.select_one(f"input#document-{lease.pk}").has_attr("checked")
    assert not html.select_one(f"input#document-{contract.pk}").has_attr("checked")
    assert html.select("a.citation") == []
    assert pages == [f"/documents/{lease.pk}/?page=1#page-1"]
    (record,) = AuditEvent.objects.filter(action="ask")
    assert record.details["documents"] == [lease.pk]


def test_narrowing_to_a_document_of_another_matter_is_404_and_audited(
    indexed, make_document, other_matter
):
    matter, contract, _, viewer = indexed
    elsewhere = make_document("secret.pdf", in_matter=other_matter)

    response = client_as(viewer).post(
        f"/matters/{matter.pk}/ask/",
        {"question": "When are invoices payable?", "documents": [contract.pk, elsewhere.pk]},
    )

    (record,) = AuditEvent.objects.filter(action="access_denied")
    assert response.status_code == 404
    assert record.details == {
        "reason": "documents outside the user's matters",
        "status": 404,
        "documents": [elsewhere.pk],
    }
    assert AuditEvent.objects.filter(action="ask").count() == 0


def test_an_empty_question_is_400_with_the_reason_in_an_alert(viewer, matter):
    response = client_as(viewer).post(f"/matters/{matter.pk}/ask/", {"question": "   "})

    alert = parsed(response).select_one("#ask-error")
    assert response.status_code == 400
    assert (alert["role"], alert.get_text(strip=True)) == ("alert", "The question is empty.")
    assert AuditEvent.objects.filter(action="ask").count() == 0


def test_the_model_server_down_answers_with_quotes_and_says_so_in_words(indexed, llm_down):
    matter, _, _, viewer = indexed

    response = client_as(viewer).post(
        f"/matters/{matter.pk}/ask/", {"question": "When are invoices payable?"}
    )

    section = parsed(response).select_one("section#answer")
    assert response.status_code == 200
    assert "payable within thirty days" in section.select_one("#answer-text").get_text()
    assert [li.get_text(" ", strip=True) for li in section.select("#answer-warnings li")] == [
        "Warning: " + answers.MODEL_UNAVAILABLE_NOTE.format(reason="connection refused")
    ]
    assert section.select_one("#answer-routing").get_text(strip=True) == (
        "No language model could be reached (connection refused); the result quotes the "
        "documents instead."
    )
    assert section.select_one("#context-accounting .tokens").get_text(" ", strip=True) == (
        "0 tokens used: no language model could be reached, so the quotes come straight from "
        "the passages the search found."
    )


def test_the_answer_says_in_words_which_model_wrote_it_and_why(indexed, two_tiny_models):
    matter, _, _, viewer = indexed

    response = client_as(viewer).post(
        f"/matters/{matter.pk}/ask/", {"question": "When are invoices payable?"}
    )

    assert parsed(response).select_one("#answer-routing").get_text(strip=True) == (
        f"Retried on the large model {TINY_LARGE_MODEL} because the small model {TINY_MODEL}'s "
        "answer could not be verified against the documents."
    )


def test_the_answer_given_without_the_model_is_audited_saying_so(indexed, llm_down):
    matter, _, _, viewer = indexed

    client_as(viewer).post(f"/matters/{matter.pk}/ask/", {"question": "When are invoices payable?"})

    (record,) = AuditEvent.objects.filter(action="ask")
    assert (record.details["method"], record.details["model"]) == ("extractive", "")
    assert record.details["warnings"] == [
        answers.MODEL_UNAVAILABLE_NOTE.format(reason="connection refused")
    ]
    assert record.details["routing"]["attempts"] == [
        {"endpoint": "small", "model": record.details["routing"]["attempts"][0]["model"],
         "outcome": "unavailable", "detail": "connection refused"},
    ]  # fmt: skip


def test_the_form_shares_the_api_ask_rate_and_says_when_to_retry(settings, viewer, matter):
    """The form without JavaScript is no way around the API's per-user ask rate: both spend it."""
    settings.API_RATES = {**settings.API_RATES, "ask": "2/min"}
    client = client_as(viewer)
    api = APIClient()
    api.force_login(viewer)

    first = client.post(f"/matters/{matter.pk}/ask/", {"question": ""})
    second = api.post(f"/api/v1/matters/{matter.pk}/ask/", {"question": ""}, format="json")
    third = client.post(f"/matters/{matter.pk}/ask/", {"question": ""})

    assert (first.status_code, second.status_code, third.status_code) == (400, 400, 429)
    assert third["Retry-After"] == "60"
    alert = parsed(third).select_one("#ask-error").get_text(" ", strip=True)
    assert alert == "You have asked many questions in a short time; try again in 60 s."
