"""Hybrid retrieval: identifiers dense search misses, narrowing, no leaks across matters."""

from __future__ import annotations

import hashlib
import random

import pytest

from docproc.models import Chunk, Document, DocumentStatus
from docproc.pipeline.compress import Passage
from docproc.pipeline.embed import embed_texts
from docproc.pipeline.model_files import embedding_model_id
from docproc.services import indexes, matters, retrieval, search

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
    document = Document.objects.create(
        matter=matter,
        sha256=hashlib.sha256(f"{matter.pk}/{filename}".encode()).hexdigest(),
        filename=filename,
        file_type="txt",
        size_bytes=sum(len(t) for t in texts),
        status=status,
        page_count=len(texts),
        chunk_count=len(texts),
    )
    model = embedding_model_id()
    Chunk.objects.bulk_create(
        Chunk(
            document=document,
            ordinal=n,
            page=n + 1,
            char_start=0,
            char_end=len(text),
            text=text,
            token_count=0,
            text_sha256=hashlib.sha256(text.encode()).hexdigest(),
            embedding=vector.tobytes(),
            embedding_model=model,
        )
        for n, (text, vector) in enumerate(zip(texts, embed_texts(texts), strict=True))
    )
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

    dense = search.search(matter, TARGET_ACCOUNT, 5)
    hybrid = retrieval.hybrid_search(matter, TARGET_ACCOUNT, 5)

    assert wanted not in texts(dense)
    assert texts(hybrid)[0] == wanted


def test_subsection_reference_is_ranked_first_by_hybrid_search(lease_matter):
    matter, _, _ = lease_matter

    dense = search.search(matter, "4.2(b)", 5)
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
        0 < hit.score <= (retrieval.DENSE_WEIGHT + retrieval.LEXICAL_WEIGHT) / (retrieval.RRF_K + 1)
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

    with pytest.raises(search.SearchError, match="empty"):
        retrieval.hybrid_search(matter, "  ", 5)


def test_hits_become_passages_with_the_same_fields(lease_matter):
    matter, _, _ = lease_matter
    hits = retrieval.hybrid_search(matter, "4.2(b)", 3)

    passages = retrieval.to_passages(hits)

    assert passages == [
        Passage(h.chunk, h.document, h.filename, h.page, h.char_start, h.char_end, h.text, h.score)
        for h in hits
    ]
