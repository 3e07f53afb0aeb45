"""The document page beside its text: a highlighted passage users land on, the cached summary
with every statement linked to its passage, the latest extraction as a table, and the summary
and extraction controls only where they can be used."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.test import Client
from django.utils import timezone

from docproc.models import AuditEvent, DocumentStatus, Job, JobKind, JobStatus, Summary
from docproc.pipeline.answer.attribution import attribute
from docproc.pipeline.answer.prompts import PROMPT_VERSION
from docproc.pipeline.types import Passage
from docproc.services import extraction

pytestmark = pytest.mark.django_db

PAGES = [
    "Invoices are payable within 30 days of receipt. Late payments carry interest at 4% a year.",
    "The agreement runs for 36 months from the effective date. It is governed by English law.",
]
SUMMARY_TEXT = (
    "Invoices are payable within 30 days [1]. Late payments carry interest at 9% a year [1]. "
    "The agreement runs for 36 months [2]. The court sits in Paris [3]."
)


def page_of(user, document, **params):
    client = Client()
    client.force_login(user)
    response = client.get(f"/documents/{document.pk}/", params)
    return response, BeautifulSoup(response.content, "html.parser")


def target(href: str) -> tuple[str, int, int | None, int | None, str]:
    """(path, page, start, end, fragment) of a link to a passage."""
    parts = urlsplit(href)
    query = {k: int(v[0]) for k, v in parse_qs(parts.query).items()}
    return parts.path, query["page"], query.get("start"), query.get("end"), parts.fragment


ROUTING = {
    "model": "SmolLM2-135M-Instruct",
    "endpoint": "small",
    "reason": "only_model",
    "escalated": False,
    "attempts": [
        {"endpoint": "small", "model": "SmolLM2-135M-Instruct", "outcome": "done", "detail": ""}
    ],
    "explanation": "Produced by the small model SmolLM2-135M-Instruct: the only model configured.",
}


def store_summary(document, model: str | None = None) -> dict:
    """A summary as ``summaries.summarize`` stores it, its statements attributed for real to
    one passage per page."""
    evidence = [
        Passage(n, document.pk, document.filename, n, 0, len(text), text, id=n)
        for n, text in enumerate(PAGES, start=1)
    ]
    attributed = attribute(
        SUMMARY_TEXT, evidence, {(document.pk, n): t for n, t in enumerate(PAGES, start=1)}
    )
    result = {
        "document": document.pk,
        "summary": attributed.text,
        "statements": list(attributed.statements),
        "citations": [c.as_dict() for c in attributed.citations],
        "coverage": {"pages_covered": 2, "pages_total": 2},
        "warnings": ["Some statements could not be verified against the document: [1], [3]."],
        "model": model or settings.LLM_MODEL,
        "method": "single pass",
        "tokens": 321,
        "routing": ROUTING,
    }
    Summary.objects.create(
        document=document,
        model=model or settings.LLM_MODEL,
        prompt_version=PROMPT_VERSION,
        result=result,
    )
    return result


def extraction_result(document, raw: dict[str, dict]) -> dict:
    """An extraction result as ``extraction.extract`` returns it, each field verified for real
    against the document's pages."""
    schema = extraction.builtin_schemas()["contract"]
    pages = dict(enumerate(PAGES, start=1))
    fields = {
        name: extraction.verify_field(name, spec, raw.get(name), pages)
        for name, spec in schema["properties"].items()
    }
    return {"document": document.pk, "schema": "contract", "fields": fields, "model": "m1"}


def make_job(user, document, status, result=None, minutes_ago=0):
    finished = timezone.now() - timedelta(minutes=minutes_ago)
    return Job.objects.create(
        user=user,
        document=document,
        kind=JobKind.EXTRACT,
        params={"schema": "contract"},
        status=status,
        result=result,
        error=None if result else {"code": "llm_unavailable", "detail": "down"},
        finished_at=finished,
    )


# --- the highlighted passage ------------------------------------------------------------------


def test_highlighted_passage_is_a_focusable_mark_announced_in_words(viewer, make_document):
    document = make_document(pages=PAGES)

    response, html = page_of(viewer, document, page=2, start=4, end=13)

    mark = html.select_one("#page-2 mark")
    assert response.status_code == 200
    assert (mark["id"], mark["class"], mark["tabindex"]) == ("passage", ["passage"], "-1")
    assert mark.get_text() == PAGES[1][4:13] == "agreement"
    note = html.select_one("#page-2 .highlight-note")
    assert note.get_text(" ", strip=True) == (
        "Highlighted: the passage cited, on page 2, is marked below."
    )
    assert mark["aria-describedby"] == note["id"]
    assert html.select("mark") == [mark]


def test_a_span_outside_the_page_highlights_nothing(viewer, make_document):
    document = make_document(pages=PAGES)

    _, html = page_of(viewer, document, page=1, start=5, end=10_000)

    assert html.select("mark") == []
    assert html.select(".highlight-note") == []


# --- the summary ------------------------------------------------------------------------------


def test_cached_summary_links_each_statement_to_its_passage(viewer, make_document):
    document = make_document(pages=PAGES)
    store_summary(document)

    _, html = page_of(viewer, document)

    statements = html.select("#summary ol.statements > li")
    shown = []
    for item in statements:
        links = item.select("a.citation")
        shown.append(
            (
                item.select_one(".statement-text").get_text(),
                [target(a["href"]) for a in links],
                [a.find_next_sibling("q").get_text() for a in links],
            )
        )
    path = f"/documents/{document.pk}/"
    assert shown == [
        (
            "Invoices are payable within 30 days.",
            [(path, 1, 0, 47, "passage")],
            ["Invoices are payable within 30 days of receipt."],
        ),
        (
            "Late payments carry interest at 9% a year.",
            [(path, 1, 48, 90, "passage")],
            ["Late payments carry interest at 4% a year."],
        ),
        (
            "The agreement runs for 36 months.",
            [(path, 2, 0, 57, "passage")],
            ["The agreement runs for 36 months from the effective date."],
        ),
        ("The court sits in Paris.", [], []),
    ]
    for _, links, quotes in shown:
        for (_, page, start, end, _), quote in zip(links, quotes, strict=True):
            assert PAGES[page - 1][start:end] == quote


def test_unverified_statements_and_citations_say_so_in_words(viewer, make_document):
    document = make_document(pages=PAGES)
    store_summary(document)

    _, html = page_of(viewer, document)

    items = html.select("#summary ol.statements > li")
    unverified = [i for i, item in enumerate(items) if "statement-unverified" in item["class"]]
    wrong_figure = items[1].select_one("a.citation")
    invented_marker = items[3].select_one(".citation-unverified")
    assert unverified == [1, 3]
    assert wrong_figure["class"] == ["citation", "citation-unverified"]
    assert wrong_figure.select_one(".verification").get_text() == "unverified"
    assert invented_marker.get_text(" ", strip=True) == (
        "[3] unverified : cites a passage that was not provided"
    )
    assert items[0].select(".verification") == []
    assert html.select_one("#summary .coverage").get_text(strip=True) == (
        f"Covers 2 of 2 pages (single pass); written by {settings.LLM_MODEL}."
    )
    assert html.select_one("#summary .warnings").get_text(" ", strip=True) == (
        "Warning: Some statements could not be verified against the document: [1], [3]."
    )


def test_a_summary_link_opens_the_page_with_its_quote_highlighted(viewer, make_document):
    document = make_document(pages=PAGES)
    store_summary(document)
    _, html = page_of(viewer, document)
    link = html.select("#summary a.citation")[2]
    quote = link.find_next_sibling("q").get_text()

    client = Client()
    client.force_login(viewer)
    opened = BeautifulSoup(client.get(link["href"]).content, "html.parser")

    assert opened.select_one("mark#passage").get_text() == quote


def test_showing_the_cached_summary_is_audited_as_a_cached_summary(viewer, make_document):
    document = make_document(pages=PAGES)
    store_summary(document)

    page_of(viewer, document)

    (record,) = AuditEvent.objects.filter(action="summary")
    assert (record.actor_id, record.target_id) == (viewer.pk, str(document.pk))
    assert record.details == {
        "cached": True,
        "method": "single pass",
        "coverage": {"pages_covered": 2, "pages_total": 2},
        "model": settings.LLM_MODEL,
        "routing": ROUTING,
        "warnings": ["Some statements could not be verified against the document: [1], [3]."],
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "latency_s": 0.0,
    }


def test_with_a_cached_summary_there_is_no_summarise_button(viewer, make_document):
    document = make_document(pages=PAGES)
    store_summary(document)

    _, html = page_of(viewer, document)

    assert html.select("#summary-form") == []


def test_a_summary_by_another_model_is_not_shown_and_summarise_is_offered(viewer, make_document):
    document = make_document(pages=PAGES)
    store_summary(document, model="some-older-model")

    _, html = page_of(viewer, document)

    form = html.select_one("#summary #summary-form")
    assert html.select("#summary ol.statements") == []
    assert html.select_one("#summary-result").get_text(strip=True) == (
        "No summary of this document has been made yet."
    )
    assert form.select_one('button[type="submit"]').get_text() == "Summarise"
    assert form.select_one('input[name="csrfmiddlewaretoken"]')["value"]
    assert html.select_one("#summary")["data-summary-url"] == (
        f"/api/v1/documents/{document.pk}/summary/"
    )
    assert AuditEvent.objects.filter(action="summary").count() == 0


# --- extracted fields -------------------------------------------------------------------------


def test_the_latest_succeeded_extraction_is_shown_as_a_table(viewer, make_document):
    document = make_document(pages=PAGES)
    older = extraction_result(document, {"term": {"value": "36 months", "quote": None}})
    latest = extraction_result(
        document,
        {
            "term": {"value": "36 months", "quote": "runs for 36 months"},
            "governing_law": {"value": "English law", "quote": "governed by English law"},
            "effective_date": {"value": "1 March 2026", "quote": "from the effective date"},
        },
    )
    unusable = "the model's answer for this field was unusable (not valid JSON)"
    latest["fields"]["signatories"] = {  # as extraction.extract records a failed field
        "value": None, "page": None, "quote": None, "char_start": None, "char_end": None,
        "verified": False, "reason": unusable,
    }  # fmt: skip
    make_job(viewer, document, JobStatus.SUCCEEDED, older, minutes_ago=10)
    job = make_job(viewer, document, JobStatus.SUCCEEDED, latest, minutes_ago=5)
    make_job(viewer, document, JobStatus.FAILED, minutes_ago=1)

    _, html = page_of(viewer, document)

    rows = {
        row["data-field"]: [cell.get_text(" ", strip=True) for cell in row.select("th, td")]
        for row in html.select("#fields table.fields-table tbody tr")
    }
    assert list(rows) == list(extraction.builtin_schemas()["contract"]["properties"])
    assert rows["term"] == [
        "Term", "36 months", "page 2 runs for 36 months", "verified",
    ]  # fmt: skip
    assert rows["governing_law"] == [
        "Governing law", "English law", "page 2 governed by English law", "verified",
    ]  # fmt: skip
    assert rows["effective_date"] == [
        "Effective date", "—", "—",
        "not verified The value does not occur in the document, so it is not trusted",
    ]  # fmt: skip
    assert rows["parties"] == ["Parties", "—", "—", "not found Not stated in the document"]
    assert rows["signatories"] == [
        "Signatories",
        "—",
        "—",
        "not verified The model's answer for this field was unusable (not valid JSON)",
    ]
    assert (
        html.select_one("#fields caption")
        .get_text(" ", strip=True)
        .startswith("Fields extracted with the Contract schema by m1")
    )
    link = html.select_one('#fields tr[data-field="term"] a.citation')
    path, page, start, end, fragment = target(link["href"])
    assert (path, page, fragment) == (f"/documents/{document.pk}/", 2, "passage")
    assert PAGES[1][start:end] == link.find_next_sibling("q").get_text() == "runs for 36 months"
    shown = AuditEvent.objects.get(action="view_document", details__part="fields")
    assert shown.details == {"part": "fields", "job": str(job.pk), "schema": "contract"}


def test_another_users_extraction_is_not_shown(viewer, editor, make_document):
    document = make_document(pages=PAGES)
    result = extraction_result(document, {"term": {"value": "36 months", "quote": None}})
    make_job(editor, document, JobStatus.SUCCEEDED, result)

    _, html = page_of(viewer, document)

    assert html.select("#fields table") == []
    assert html.select_one("#fields-result").get_text(strip=True) == (
        "No fields have been extracted from this document yet."
    )


def test_the_schema_chooser_lists_the_builtin_schemas_by_name(viewer, make_document):
    document = make_document(pages=PAGES)

    _, html = page_of(viewer, document)

    form = html.select_one("#fields #fields-form")
    options = [(o["value"], o.get_text()) for o in form.select("select#schema option")]
    assert options == [
        ("contract", "Contract"),
        ("financial_statement", "Financial statement"),
        ("medical_record", "Medical record"),
    ]
    assert form.select_one('label[for="schema"]').get_text() == "Schema"
    assert form.select_one('button[type="submit"]').get_text() == "Extract fields"
    assert html.select_one("#fields")["data-extract-url"] == (
        f"/api/v1/documents/{document.pk}/extract/"
    )


# --- documents that are not ready -------------------------------------------------------------


def test_a_document_not_yet_indexed_says_why_and_offers_no_actions(viewer, make_document):
    document = make_document(pages=PAGES, status=DocumentStatus.EMBEDDING)
    store_summary(document)

    _, html = page_of(viewer, document)

    assert html.select("#summary-form, #fields-form, ol.statements") == []
    assert html.select_one("#summary .not-ready").get_text(strip=True) == (
        "A summary can be made once the document is ready; it is now: preparing for search."
    )
    assert html.select_one("#fields .not-ready").get_text(strip=True) == (
        "Fields can be extracted once the document is ready; it is now: preparing for search."
    )
    assert AuditEvent.objects.filter(action="summary").count() == 0
