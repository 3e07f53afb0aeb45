"""Hybrid retrieval: identifiers dense search misses, narrowing, no leaks across matters."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from docproc.models import Chunk, Document, DocumentStatus
from docproc.pipeline.embed import embed_texts
from docproc.pipeline.types import Passage
from docproc.services import dense_search, indexes, matters, retrieval
from tests.factories.rows import make_chunk, make_document

pytestmark = pytest.mark.django_db

TERMINATION = "Section 4.2(b) of the agreement governs early termination by the tenant."
CLAUSES = [
    "Section 4.1(a) of the agreement governs the payment of rent.",
    TERMINATION,
    "Section 4.2(a) of the agreement governs late payment interest.",
    "Section 4.3(c) of the agreement governs repairs to the roof.",
    "Section 5.1(a) of the agreement governs insurance of the building.",
    "Section 3.2(b) of the agreement governs the term of the lease.",
    "Section 4.4(d) of the agreement governs assignment and subletting.",
    "Section 2.2(b) of the agreement governs definitions.",
    "The tenant may end the lease early by giving notice to the landlord.",
]
TARGET_ACCOUNT = "ACC-00931"


def statements() -> list[str]:
    """Thirty near-identical account statements; only the account code tells them apart."""
    rng = random.Random(5)
    codes = [f"ACC-{rng.randint(0, 99_999):05d}" for _ in range(30)]
    codes[17] = TARGET_ACCOUNT
    return [
        f"Statement for account {code}: the balance was reconciled at month end and no "
        "exceptions were found."
        for code in codes
    ]


def statement_of(code: str) -> str:
    return next(text for text in statements() if code in text)


def add_document(matter, filename: str, texts: list[str], status=DocumentStatus.INDEXED):
    """A document whose page ``n`` holds ``texts[n - 1]`` as one chunk, embedded for real."""
    document = make_document(matter, filename, pages=texts, status=status)
    for number, vector in enumerate(embed_texts(texts), start=1):
        make_chunk(document, page=number, ordinal=number - 1, embedding=vector)
    Document.objects.filter(pk=document.pk).update(chunk_count=len(texts))
    return document


def put_in_index(matter, document) -> None:
    """Add a document's vectors to the matter's index, whatever the document's state."""
    ids, vectors = indexes.vectors_of(Chunk.objects.filter(document=document))
    indexes.add_chunks(matter.pk, ids, vectors)


@pytest.fixture
def lease_matter(fresh_indexes):
    matter = matters.get_or_create_matter("hybrid-lease")[0]
    accounts = add_document(matter, "statements.pdf", statements())
    lease = add_document(matter, "lease.pdf", CLAUSES)
    indexes.rebuild(matter)
    return matter, accounts, lease


def texts(hits) -> list[str]:
    return [hit.text for hit in hits]


def test_account_code_missed_by_dense_search_is_found_by_hybrid_search(lease_matter):
    matter, _, _ = lease_matter
    wanted = statement_of(TARGET_ACCOUNT)

    dense = dense_search.search(matter, TARGET_ACCOUNT, 5)
    hybrid = retrieval.hybrid_search(matter, TARGET_ACCOUNT, 5)

    assert wanted not in texts(dense)
    assert texts(hybrid)[0] == wanted


def test_subsection_reference_is_ranked_first_by_hybrid_search(lease_matter):
    matter, _, _ = lease_matter

    dense = dense_search.search(matter, "4.2(b)", 5)
    hybrid = retrieval.hybrid_search(matter, "4.2(b)", 5)

    assert texts(dense)[0] != TERMINATION
    assert texts(hybrid)[0] == TERMINATION


def test_hits_carry_document_page_span_and_fused_score(lease_matter):
    matter, _, lease = lease_matter

    hit = retrieval.hybrid_search(matter, "4.2(b)", 1)[0]

    chunk = Chunk.objects.get(document=lease, text=TERMINATION)
    assert (hit.document, hit.filename, hit.page, hit.chunk) == (lease.pk, "lease.pdf", 2, chunk.pk)
    assert (hit.char_start, hit.char_end) == (0, len(TERMINATION))
    assert (
        0
        < hit.score
        <= (retrieval.DENSE_WEIGHT + retrieval.LEXICAL_WEIGHT + retrieval.PAGE_WEIGHT)
        / (retrieval.RRF_K + 1)
    )


def test_document_ids_narrow_the_search_to_those_documents(lease_matter):
    matter, accounts, lease = lease_matter

    hits = retrieval.hybrid_search(matter, TARGET_ACCOUNT, 20, document_ids=[lease.pk])

    assert len(hits) == len(CLAUSES)
    assert {hit.document for hit in hits} == {lease.pk}


def test_narrowing_finds_a_document_whose_passages_rank_low_in_the_whole_matter(lease_matter):
    matter, accounts, lease = lease_matter

    hits = retrieval.hybrid_search(
        matter, "termination by the tenant", 1, document_ids=[accounts.pk]
    )

    assert hits[0].document == accounts.pk


def test_documents_of_another_matter_are_never_returned(lease_matter):
    matter, _, _ = lease_matter
    other = matters.get_or_create_matter("hybrid-other")[0]
    foreign = add_document(other, "foreign.pdf", [f"Foreign statement for {TARGET_ACCOUNT}."])
    indexes.rebuild(other)

    everywhere = retrieval.hybrid_search(matter, TARGET_ACCOUNT, 50)
    narrowed = retrieval.hybrid_search(matter, TARGET_ACCOUNT, 10, document_ids=[foreign.pk])

    assert foreign.pk not in {hit.document for hit in everywhere}
    assert narrowed == []


def test_chunks_of_a_document_not_yet_indexed_are_not_returned(lease_matter):
    matter, _, _ = lease_matter
    pending = add_document(
        matter, "pending.pdf", [f"Pending ledger for {TARGET_ACCOUNT}."], DocumentStatus.EMBEDDING
    )
    put_in_index(matter, pending)

    hits = retrieval.hybrid_search(matter, TARGET_ACCOUNT, 50)

    assert pending.pk not in {hit.document for hit in hits}


def test_document_indexed_after_a_search_is_found_by_the_next_one(lease_matter):
    matter, _, _ = lease_matter
    retrieval.hybrid_search(matter, "ACC-77777", 5)  # caches the lexical index
    late = add_document(matter, "late.pdf", ["Closing statement for ACC-77777 in full."])
    put_in_index(matter, late)

    hits = retrieval.hybrid_search(matter, "ACC-77777", 1)

    assert hits[0].document == late.pk


def test_matter_without_an_index_finds_nothing(fresh_indexes):
    matter = matters.get_or_create_matter("hybrid-empty")[0]

    assert retrieval.hybrid_search(matter, "4.2(b)", 5) == []


def test_empty_query_is_refused(lease_matter):
    matter, _, _ = lease_matter

    with pytest.raises(dense_search.SearchError, match="empty"):
        retrieval.hybrid_search(matter, "  ", 5)


def test_hits_are_passages_of_their_stored_chunks_exactly(lease_matter):
    matter, _, lease = lease_matter

    hits = retrieval.hybrid_search(matter, "4.2(b)", 3)

    assert hits and all(isinstance(h, Passage) and h.id == 0 for h in hits)
    for hit in hits:
        row = Chunk.objects.select_related("document").get(pk=hit.chunk)
        assert (hit.document, hit.filename, hit.page) == (
            row.document_id, row.document.filename, row.page,
        )  # fmt: skip
        assert (hit.char_start, hit.char_end, hit.text) == (row.char_start, row.char_end, row.text)
    assert hits[0].document == lease.pk


REPORT_PAGES = [
    "Revenue grew five percent in the year, driven by higher volumes in every region.",
    "Operating expenses were flat, as savings in logistics offset higher wages.",
    "The board declared a final dividend and renewed the share buyback programme.",
]


def add_report(matter, filename: str, company: str):
    """An annual report whose document context names ``company``, with its vector."""
    document = add_document(matter, filename, REPORT_PAGES)
    context = f"{company} · FORM 10-K · fiscal year ended December 31, 2022 · FY2022"
    Document.objects.filter(pk=document.pk).update(
        context=context, context_embedding=embed_texts([context])[0].tobytes()
    )
    return document


@pytest.fixture
def reports_matter(fresh_indexes):
    matter = matters.get_or_create_matter("hybrid-reports")[0]
    acme = add_report(matter, "acme.pdf", "ACME CORPORATION")
    globex = add_report(matter, "globex.pdf", "GLOBEX INDUSTRIES INC.")
    indexes.rebuild(matter)
    return matter, acme, globex


def test_question_naming_a_company_is_searched_in_its_report(reports_matter):
    matter, acme, globex = reports_matter

    hits = retrieval.hybrid_search(matter, "How much did Globex Industries' revenue grow?", 6)
    unrouted = retrieval.hybrid_search(
        matter,
        "How much did Globex Industries' revenue grow?",
        6,
        levers=replace(retrieval.ALL_LEVERS, document_routing=False),
    )

    assert {hit.document for hit in hits} == {globex.pk}
    assert hits[0].text == REPORT_PAGES[0]
    assert {hit.document for hit in unrouted} == {acme.pk, globex.pk}


def test_question_naming_no_document_searches_them_all(reports_matter):
    matter, acme, globex = reports_matter

    hits = retrieval.hybrid_search(matter, "How much did revenue grow?", 6)

    assert {hit.document for hit in hits} == {acme.pk, globex.pk}


def test_page_ranking_scores_whole_pages_and_names_their_closest_passage():
    vectors = np.eye(4, dtype=np.float32)
    # Page 1 of document 7 holds chunks 1 and 2 (axes 0 and 1), page 2 holds chunk 3 (axis 2),
    # document 8's page 1 holds chunk 4 (axis 3).
    rows = [(1, 7, 1, "a", "", 0), (2, 7, 1, "b", "", 900), (3, 7, 2, "c", "", 0),
            (4, 8, 1, "d", "", 0)]  # fmt: skip
    data = retrieval.MatterSearchData(
        rows, {7: ("", None), 8: ("", None)}, (True, True), (np.arange(1, 5), vectors)
    )
    query = np.array([0.6, 0.8, 0.0, 0.5], dtype=np.float32)

    # Page 1's mean (0.71, 0.71, 0, 0) is closer than chunk 4's page (0, 0, 0, 1).
    assert data.page_ranking(query, 0.0, 3) == [2, 4, 3]
    assert data.page_ranking(query, 0.0, 3, documents=[8]) == [4]
    assert data.chunks_of([7])[0].tolist() == [1, 2, 3]


def test_a_document_without_a_context_is_not_ranked_below_those_with_one():
    vectors = np.eye(3, dtype=np.float32)
    rows = [(1, 7, 1, "a", "", 0), (2, 8, 1, "b", "", 0)]
    context = np.array([0.0, 0.0, 1.0], dtype=np.float32).tobytes()
    data = retrieval.MatterSearchData(
        rows, {7: ("Acme annual report", context), 8: ("", None)}, (True, True),
        (np.arange(1, 3), vectors[:2]),
    )  # fmt: skip
    query = np.array([0.5, 0.6, 0.6], dtype=np.float32)

    # Chunk 2 is closer than chunk 1; document 7's context (0.6) must not outweigh that
    # merely because document 8 has no context to score.
    rescored = data.with_document_scores([(1, 0.5), (2, 0.6)], query, 1.0)

    assert [chunk for chunk, _ in rescored] == [2, 1]
    assert data.page_ranking(query, 1.0, 2) == [2, 1]


def test_a_document_without_pages_votes_in_page_sized_spans():
    # Document 7 is one long "page 1" (a text file, an email, a DOCX with no page breaks).
    span = retrieval.PAGE_SPAN_CHARS
    rows = [(1, 7, 1, "a", "", 0), (2, 7, 1, "b", "", span - 1), (3, 7, 1, "c", "", 3 * span)]
    data = retrieval.MatterSearchData(rows, {7: ("", None)}, (True, True), None)

    assert data.unit_of[1] == data.unit_of[2]
    assert data.unit_of[1] != data.unit_of[3]
    assert data.page_of[1] == data.page_of[3] == (7, 1)


def test_passages_of_a_one_page_document_are_not_fused_into_one_vote():
    span = retrieval.PAGE_SPAN_CHARS
    # Document 7 has two pages; document 8 is one short page holding two passages.
    rows = [(1, 7, 1, "a", "", 0), (2, 7, 2, "b", "", 0), (3, 8, 1, "c", "", 0),
            (4, 8, 1, "d", "", span // 2)]  # fmt: skip
    data = retrieval.MatterSearchData(rows, {7: ("", None), 8: ("", None)}, (True, True), None)

    assert data.fusion_unit_of[1] == (7, 1, 0)
    assert data.fusion_unit_of[3] != data.fusion_unit_of[4]
