"""Documents: detail, page text, chunks, the original, deletion, password and reprocess."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from docproc.models import DeletionReceipt, Document, DocumentStatus
from docproc.services import storage
from tests.factories.files import make_text_pdf
from tests.factories.rows import make_chunk

pytestmark = pytest.mark.django_db


def test_document_detail_has_state_and_metadata(api_as, viewer, make_document):
    document = make_document(pages=["one", "two"])

    response = api_as(viewer).get(f"/api/v1/documents/{document.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ["id", "filename", "file_type", "status", "reason", "pages"]} == {
        "id": document.pk,
        "filename": "contract.pdf",
        "file_type": "pdf",
        "status": "indexed",
        "reason": "",
        "pages": 2,
    }
    assert body["sha256"] == document.sha256
    assert body["size"] == document.size_bytes
    assert set(body) >= {"chunks", "created_at", "updated_at", "indexed_at", "final"}


@pytest.mark.parametrize(
    "suffix", ["", "pages/1/", "chunks/", "original/"], ids=["detail", "page", "chunks", "original"]
)
def test_non_member_gets_404_for_every_document_read(api_as, outsider, make_document, suffix):
    document = make_document(pages=["secret"])

    response = api_as(outsider).get(f"/api/v1/documents/{document.pk}/{suffix}")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Document not found."}


def test_page_returns_its_text_and_source(api_as, viewer, make_document):
    document = make_document(pages=["First page text.", "Second page text."])

    response = api_as(viewer).get(f"/api/v1/documents/{document.pk}/pages/2/")

    assert response.status_code == 200
    assert response.json() == {
        "document": document.pk,
        "number": 2,
        "text": "Second page text.",
        "source": "text",
        "page_count": 2,
    }


def test_missing_page_is_404(api_as, viewer, make_document):
    document = make_document(pages=["only one"])

    response = api_as(viewer).get(f"/api/v1/documents/{document.pk}/pages/2/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Page 2 not found."}


def test_chunks_are_paginated_in_reading_order(api_as, viewer, make_document):
    document = make_document(pages=["Some passage."])
    for _ in range(3):
        make_chunk(document)

    response = api_as(viewer).get(f"/api/v1/documents/{document.pk}/chunks/?page_size=2")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [c["ordinal"] for c in body["results"]] == [0, 1]
    assert body["next"].endswith(f"/api/v1/documents/{document.pk}/chunks/?page=2&page_size=2")
    assert "embedding" not in body["results"][0]


def test_original_is_the_stored_bytes_as_an_attachment(api_as, editor, viewer, matter):
    content = make_text_pdf(["Original bytes test."])
    uploaded = api_as(editor).post(
        f"/api/v1/matters/{matter.pk}/documents/",
        {"file": SimpleUploadedFile("Deed of trust.pdf", content)},
        format="multipart",
    )

    response = api_as(viewer).get(f"/api/v1/documents/{uploaded.json()['id']}/original/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Deed of trust.pdf"'
    assert b"".join(response.streaming_content) == content


def test_original_honours_a_file_accept_header(api_as, viewer, make_document):
    content = b"plain text original for accept test"
    storage.store([content], 10_000)
    document = make_document("notes.txt", content=content)

    response = api_as(viewer).get(
        f"/api/v1/documents/{document.pk}/original/", HTTP_ACCEPT="text/plain"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"


def test_editor_deletes_a_document_and_gets_the_receipt(api_as, editor, matter):
    content = make_text_pdf(["Deletion receipt test."])
    client = api_as(editor)
    document_id = client.post(
        f"/api/v1/matters/{matter.pk}/documents/",
        {"file": SimpleUploadedFile("gone.pdf", content)},
        format="multipart",
    ).json()["id"]

    response = client.delete(f"/api/v1/documents/{document_id}/")

    assert response.status_code == 200
    body = response.json()
    receipt = DeletionReceipt.objects.get()
    assert body == {
        "id": receipt.pk,
        "matter": matter.pk,
        "document": document_id,
        "filename": "gone.pdf",
        "sha256": hashlib.sha256(content).hexdigest(),
        "pages_removed": 0,
        "chunks_removed": 0,
        "vectors_removed": 0,
        "file_removed": True,
        "deleted_by": "editor",
        "deleted_at": body["deleted_at"],
    }
    assert not Document.objects.filter(pk=document_id).exists()
    assert client.get(f"/api/v1/documents/{document_id}/").status_code == 404


def test_viewer_gets_403_on_delete_and_the_document_stays(api_as, viewer, make_document):
    document = make_document()

    response = api_as(viewer).delete(f"/api/v1/documents/{document.pk}/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Document.objects.filter(pk=document.pk).exists()
    assert DeletionReceipt.objects.count() == 0


def test_password_for_a_document_that_is_not_encrypted_is_409(api_as, editor, make_document):
    document = make_document(status=DocumentStatus.INDEXED)

    response = api_as(editor).post(
        f"/api/v1/documents/{document.pk}/password/", {"password": "hunter2"}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "code": "conflict",
        "detail": "This document does not need a password (its status is indexed).",
    }


def test_password_for_an_encrypted_document_queues_it_again(
    api_as, editor, make_document, enqueued, django_capture_on_commit_callbacks
):
    document = make_document(status=DocumentStatus.NEEDS_PASSWORD, reason="Encrypted.")

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(editor).post(
            f"/api/v1/documents/{document.pk}/password/", {"password": " s3cret "}, format="json"
        )

    assert response.status_code == 202
    assert response.json()["status"] == "received"
    assert "password" not in response.json()
    document.refresh_from_db()
    assert document.pending_password == " s3cret "
    assert enqueued == [document.pk]


def test_password_without_a_password_is_400(api_as, editor, make_document):
    document = make_document(status=DocumentStatus.NEEDS_PASSWORD)

    response = api_as(editor).post(f"/api/v1/documents/{document.pk}/password/", {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"password": ["This field is required."]}


def test_viewer_cannot_supply_a_password(api_as, viewer, make_document):
    document = make_document(status=DocumentStatus.NEEDS_PASSWORD)

    response = api_as(viewer).post(
        f"/api/v1/documents/{document.pk}/password/", {"password": "x"}, format="json"
    )

    assert response.status_code == 403


def test_reprocess_of_a_failed_document_queues_it(
    api_as, editor, make_document, enqueued, django_capture_on_commit_callbacks
):
    document = make_document(status=DocumentStatus.FAILED, reason="No text.")

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(editor).post(f"/api/v1/documents/{document.pk}/reprocess/")

    assert response.status_code == 202
    assert response.json()["status"] == "received"
    assert response.json()["reason"] == ""
    assert enqueued == [document.pk]


def test_reprocess_while_processing_is_409(api_as, editor, make_document, enqueued):
    document = make_document(status=DocumentStatus.PARSING)

    response = api_as(editor).post(f"/api/v1/documents/{document.pk}/reprocess/")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert enqueued == []


def test_document_list_of_a_matter_has_states(api_as, viewer, matter, make_document):
    make_document("a.pdf", status=DocumentStatus.FAILED, reason="Broken.")
    make_document("b.pdf", status=DocumentStatus.EMBEDDING)

    response = api_as(viewer).get(f"/api/v1/matters/{matter.pk}/documents/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(d["filename"], d["status"], d["reason"], d["final"]) for d in body["results"]] == [
        ("b.pdf", "embedding", "", False),
        ("a.pdf", "failed", "Broken.", True),
    ]


def test_delete_while_redis_is_down_is_503_and_deletes_nothing(
    api_as, editor, make_document, settings
):
    from docproc.services import locks

    document = make_document(pages=["Some passage."])
    make_chunk(document)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    locks._client.cache_clear()
    try:
        response = api_as(editor).delete(f"/api/v1/documents/{document.pk}/")
    finally:
        locks._client.cache_clear()

    assert response.status_code == 503
    assert response.json() == {
        "code": "temporarily_unavailable",
        "detail": "The service is temporarily unavailable; please try again shortly.",
    }
    assert response["Retry-After"] == "5"
    assert Document.objects.filter(pk=document.pk).exists()
    assert DeletionReceipt.objects.count() == 0
