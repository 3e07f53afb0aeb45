"""Deleting a document removes it from every path: no route gives its text to anyone, its own
members included; its vectors, cached summaries and jobs are gone; the audit record is a receipt
of what was removed; and its stored original goes once the last document that shares it goes,
even while an upload of the same bytes is on its way."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from rest_framework.test import APIClient

from docproc.models import AuditEvent, Chunk, Document, Job, Summary
from docproc.models.audit import Action
from docproc.services import documents, indexes, ingestion, storage
from tests.factories import rows
from tests.factories.files import make_text_pdf
from tests.walls import matrix
from tests.walls.world import PAGES, QUERY, QUESTION, TEXT_MARK

pytestmark = pytest.mark.django_db


def _as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def deleted(world):
    """A's document deleted by its editor through the API, with what it held before."""
    document = world.document_a
    chunk_ids = list(Chunk.objects.filter(document=document).values_list("pk", flat=True))
    vectors = indexes._load(world.matter_a.pk).vectors()
    held = {int(i): v for i, v in zip(*vectors, strict=True) if int(i) in chunk_ids}
    assert len(held) == len(chunk_ids) > 0  # it was indexed

    response = _as(world.users["editor_a"]).delete(f"/api/v1/documents/{document.pk}/")

    assert response.status_code == 200
    return world, document, chunk_ids, held


def test_the_deletion_record_is_a_receipt_of_everything_removed(deleted):
    world, document, chunk_ids, _ = deleted

    record = AuditEvent.objects.filter(action=Action.DELETE).get()

    assert {k: v for k, v in record.details.items() if k != "receipt"} == {
        "filename": document.filename,
        "sha256": hashlib.sha256(make_text_pdf(PAGES)).hexdigest(),
        "pages_removed": 2,
        "chunks_removed": len(chunk_ids),
        "vectors_removed": len(chunk_ids),
        "summaries_removed": 1,
        "jobs_removed": 1,
    }
    assert TEXT_MARK not in str(record.details)


def test_nothing_derived_from_a_deleted_document_is_left(deleted):
    world, document, chunk_ids, held = deleted
    index = indexes._load(world.matter_a.pk)

    assert Summary.objects.filter(document_id=document.pk).count() == 0
    assert Job.objects.filter(pk=world.job_a.pk).count() == 0
    assert Chunk.objects.filter(pk__in=chunk_ids).count() == 0
    assert set(chunk_ids) & {int(i) for i in index.ids()} == set()
    for vector in held.values():  # its own vectors find nothing of it
        found = index.search(np.asarray([vector], dtype=np.float32), 10)
        assert {chunk for chunk, _ in found} & set(chunk_ids) == set()
    assert not storage.blob_path(document.sha256).exists()


def test_a_deleted_documents_text_is_found_by_no_search_question_or_read(deleted):
    world, document, _, _ = deleted
    editor = _as(world.users["editor_a"])
    matter = world.matter_a.pk

    search = editor.post(f"/api/v1/matters/{matter}/search/", {"query": QUERY}, format="json")
    ask = editor.post(f"/api/v1/matters/{matter}/ask/", {"question": QUESTION}, format="json")
    reads = {
        path: editor.get(f"/api/v1/documents/{document.pk}/{path}").status_code
        for path in ("", "summary/", "pages/1/", "chunks/", "original/")
    }
    extract = editor.post(
        f"/api/v1/documents/{document.pk}/extract/", {"schema": "contract"}, format="json"
    )
    job = editor.get(f"/api/v1/jobs/{world.job_a.pk}/")

    assert (search.status_code, search.json()["results"]) == (200, [])
    assert ask.status_code == 200 and TEXT_MARK.lower() not in ask.content.decode().lower()
    assert reads == dict.fromkeys(reads, 404)
    assert (extract.status_code, job.status_code) == (404, 404)


def test_every_route_gives_nothing_of_a_deleted_document_to_anyone(deleted):
    world = deleted[0]

    sent, problems = matrix.after_deletion(world)

    assert not problems, "\n".join(problems)
    assert sent > 1000


def test_a_document_deleted_from_the_web_page_is_gone_too(world):
    client = APIClient()
    client.force_login(world.users["editor_a"])

    response = client.post(f"/documents/{world.document_a.pk}/delete/")

    assert response.status_code == 302
    assert client.get(f"/documents/{world.document_a.pk}/").status_code == 404
    assert not Document.objects.filter(pk=world.document_a.pk).exists()


# --- the stored original, shared by documents of several matters ---------------------------

CONTENT = make_text_pdf(["The same bytes, uploaded to two matters."])
SHA = hashlib.sha256(CONTENT).hexdigest()


@pytest.fixture
def two_copies(db, enqueued):  # noqa: F811  (enqueued: from tests/api/conftest.py)
    first, second = rows.make_matter("first"), rows.make_matter("second")
    return (
        ingestion.submit(first, "copy.pdf", [CONTENT]).document,
        ingestion.submit(second, "copy.pdf", [CONTENT]).document,
    )


def test_a_blob_shared_with_another_matters_document_stays_until_the_last_goes(two_copies):
    one, other = two_copies

    first = documents.delete_document(one)
    kept = storage.blob_path(SHA).exists()
    last = documents.delete_document(other)

    assert (first.file_removed, kept) == (False, True)
    assert (last.file_removed, storage.blob_path(SHA).exists()) == (True, False)


def test_an_upload_of_the_same_bytes_during_a_deletion_keeps_its_blob(db, enqueued):
    """The race: a deletion checks for other documents with these bytes after an upload of
    the same bytes has stored them but before its document exists. The upload's pin keeps the
    file; once its document is committed, the document keeps it."""
    matter = rows.make_matter("first")
    document = ingestion.submit(matter, "copy.pdf", [CONTENT]).document

    blob = storage.store([CONTENT], 10_000_000)  # an upload, half-way: bytes stored, no row yet
    receipt = documents.delete_document(document)
    kept = storage.blob_path(SHA).read_bytes() == CONTENT
    rows.make_document(rows.make_matter("second"), "copy.pdf", content=CONTENT)
    storage.release(blob)  # its document committed

    assert (receipt.file_removed, kept) == (False, True)
    assert storage.remove_unreferenced(SHA, referenced=lambda: True) is False
    assert storage.blob_path(SHA).exists()


def test_a_pin_released_without_a_document_lets_the_blob_go(db):
    blob = storage.store([CONTENT], 10_000_000)

    pinned = storage.remove_unreferenced(SHA, referenced=lambda: False)
    storage.release(blob)
    removed = storage.remove_unreferenced(SHA, referenced=lambda: False)

    assert (pinned, removed, storage.blob_path(SHA).exists()) == (False, True, False)


def test_the_pin_of_an_upload_that_died_lapses(db, monkeypatch):
    monkeypatch.setattr(storage, "PIN_SECONDS", -1)  # its pin lapsed as soon as it was taken
    storage.store([CONTENT], 10_000_000)

    assert storage.remove_unreferenced(SHA, referenced=lambda: False) is True
