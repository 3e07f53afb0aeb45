"""Contextual headers in retrieval: a question naming a company and a period finds that
filing's page among look-alike filings of others, and headers never become document text."""

from __future__ import annotations

import numpy as np
import pytest

from docproc.models import Chunk, Document, DocumentStatus, Page
from docproc.services import indexes, ingestion, matters, retrieval
from tests.factories.rows import make_document

pytestmark = pytest.mark.django_db

STATEMENT = """Consolidated Statements of Earnings
$ in millions
Fiscal Years Ended {year}  {previous}
Revenue $  {revenue}   $  41,000
Cost of sales   30,100     30,200
Gross profit   {gross}     10,800"""

COMPANIES = [
    ("NORTHWIND TRADERS CO., INC.", "northwind-2023.pdf", 2023, "46,298", "9,912"),
    ("CONTOSO HOLDINGS PLC", "contoso-2023.pdf", 2023, "38,007", "7,554"),
    ("NORTHWIND TRADERS CO., INC.", "northwind-2021.pdf", 2021, "44,020", "9,101"),
    ("FABRIKAM INDUSTRIES INC.", "fabrikam-2023.pdf", 2023, "52,910", "11,312"),
]


def cover(company: str, year: int) -> str:
    return (
        "UNITED STATES\nSECURITIES AND EXCHANGE COMMISSION\nFORM 10-K\n"
        f"For the fiscal year ended December 31, {year}\n{company}\n"
        "(Exact name of registrant as specified in its charter)"
    )


def ingest_pages(matter, filename: str, pages: list[str]) -> Document:
    """A parsed document run through the pipeline's chunk, embed and index stages."""
    document = make_document(matter, filename, pages=pages, status=DocumentStatus.CHUNKING)
    assert ingestion.chunk(document.pk)
    assert ingestion.embed(document.pk) == 0
    assert ingestion.index(document.pk)
    document.refresh_from_db()
    return document


@pytest.fixture
def filings(fresh_indexes):
    matter = matters.get_or_create_matter("annual-reports")[0]
    documents = {
        filename: ingest_pages(
            matter,
            filename,
            [
                cover(company, year),
                STATEMENT.format(
                    year=f"December 31, {year}",
                    previous=f"December 31, {year - 1}",
                    revenue=revenue,
                    gross=gross,
                ),
            ],
        )
        for company, filename, year, revenue, gross in COMPANIES
    }
    return matter, documents


def test_chunk_stage_stores_the_document_context_and_its_vector(filings):
    _, documents = filings
    document = documents["contoso-2023.pdf"]

    assert document.context == (
        "CONTOSO HOLDINGS PLC · FORM 10-K · fiscal year ended December 31, 2023 · FY2023 · "
        "contoso 2023"
    )
    assert len(bytes(document.context_embedding)) == 384 * 4


def test_a_table_row_chunk_keeps_its_statement_heading_as_section_context(filings):
    _, documents = filings
    statement = Chunk.objects.get(document=documents["contoso-2023.pdf"], page=2)

    assert statement.context == "Consolidated Statements of Earnings"


def test_question_naming_company_and_year_finds_that_filings_statement_first(filings):
    matter, _ = filings

    hits = retrieval.hybrid_search(matter, "What was Contoso's gross profit in FY2023?", 3)

    assert (hits[0].filename, hits[0].page) == ("contoso-2023.pdf", 2)


def test_the_year_tells_two_filings_of_one_company_apart(filings):
    matter, _ = filings

    hits = retrieval.hybrid_search(matter, "Northwind gross profit for fiscal year 2021", 3)

    assert (hits[0].filename, hits[0].page) == ("northwind-2021.pdf", 2)


def test_hits_quote_the_page_text_only_never_the_headers(filings):
    matter, _ = filings

    hits = retrieval.hybrid_search(matter, "Contoso gross profit FY2023", 10)

    pages = {
        (p.document.filename, p.number): p.text
        for p in Page.objects.filter(document__matter=matter).select_related("document")
    }
    assert all(
        hit.text == pages[(hit.filename, hit.page)][hit.char_start : hit.char_end] for hit in hits
    )
    assert not any("FY2023" in hit.text for hit in hits)


def test_rechunking_unchanged_pages_keeps_the_vectors_and_refreshes_the_headers(filings):
    matter, documents = filings
    document = documents["fabrikam-2023.pdf"]
    Chunk.objects.filter(document=document).update(context="stale")
    vectors = list(Chunk.objects.filter(document=document).values_list("pk", "embedding"))

    assert ingestion.chunk(document.pk)

    assert list(Chunk.objects.filter(document=document).values_list("pk", "embedding")) == vectors
    assert set(Chunk.objects.filter(document=document).values_list("context", flat=True)) == {
        "",
        "Consolidated Statements of Earnings",
    }


def test_documents_without_a_context_vector_are_searched_as_before(filings):
    matter, documents = filings
    Document.objects.filter(matter=matter).update(context_embedding=None)
    indexes.rebuild(matter)  # a new index file: the search data is rebuilt without vectors

    hits = retrieval.hybrid_search(matter, "gross profit", 4)

    assert {hit.page for hit in hits} == {2}


def test_passages_embedded_anew_also_refresh_the_document_context_vector(filings):
    _, documents = filings
    document = documents["contoso-2023.pdf"]
    fresh = bytes(document.context_embedding)
    stale = np.zeros(384, dtype=np.float32).tobytes()
    Document.objects.filter(pk=document.pk).update(context_embedding=stale)
    Chunk.objects.filter(document=document).update(embedding_model="another-model")

    assert ingestion.embed(document.pk) == 0

    document.refresh_from_db()
    refreshed = np.frombuffer(bytes(document.context_embedding), dtype=np.float32)
    assert np.allclose(refreshed, np.frombuffer(fresh, dtype=np.float32), atol=1e-6)
