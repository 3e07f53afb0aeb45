"""``POST matters/{id}/documents/``: multipart upload streamed into ``ingestion.submit``."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from docproc.models import Document
from docproc.services import ingestion, storage
from tests.factories.files import make_docx, make_text_pdf

pytestmark = pytest.mark.django_db

PDF = make_text_pdf(["The tenant shall pay rent monthly.", "Section 4.2(b) applies."])


def pdf_file(name: str = "lease.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def upload(client, matter, *files):
    return client.post(
        f"/api/v1/matters/{matter.pk}/documents/", {"file": list(files)}, format="multipart"
    )


def test_upload_of_a_pdf_returns_201_received_and_queues_it_once(
    api_as, editor, matter, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api_as(editor), matter, pdf_file())

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "received"
    assert body["created"] is True
    assert body["filename"] == "lease.pdf"
    assert body["file_type"] == "pdf"
    assert body["size"] == len(PDF)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["matter"] == matter.pk
    assert response["Location"] == f"/api/v1/documents/{body['id']}/"
    assert enqueued == [body["id"]]
    assert storage.read(body["sha256"]) == PDF


def test_upload_of_same_bytes_returns_200_with_the_existing_document_and_does_not_queue(
    api_as, editor, matter, enqueued, django_capture_on_commit_callbacks
):
    client = api_as(editor)
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(client, matter, pdf_file("lease.pdf"))
    with django_capture_on_commit_callbacks(execute=True):
        second = upload(client, matter, pdf_file("lease-copy.pdf"))

    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["created"] is False
    assert second.json()["filename"] == "lease.pdf"
    assert enqueued == [first.json()["id"]]
    assert Document.objects.filter(matter=matter).count() == 1


def test_upload_of_several_files_returns_each_document(
    api_as, editor, matter, enqueued, django_capture_on_commit_callbacks
):
    docx = make_docx(["Patient reports no allergies."], heading="Intake")

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(
            api_as(editor),
            matter,
            pdf_file(),
            SimpleUploadedFile("intake.docx", docx, content_type="application/octet-stream"),
        )

    assert response.status_code == 201
    documents = response.json()["documents"]
    assert [(d["filename"], d["file_type"], d["status"], d["created"]) for d in documents] == [
        ("lease.pdf", "pdf", "received", True),
        ("intake.docx", "docx", "received", True),
    ]
    assert enqueued == [d["id"] for d in documents]


def test_garbage_bytes_named_pdf_are_kept_as_failed_with_a_reason_naming_the_type(
    api_as, editor, matter, enqueued, django_capture_on_commit_callbacks
):
    garbage = bytes(range(256)) * 8

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api_as(editor), matter, pdf_file("x.pdf", garbage))

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "failed"
    assert body["file_type"] == "unknown"
    assert "not a supported type" in body["reason"]
    assert "binary data" in body["reason"]
    assert body["final"] is True
    assert enqueued == []


def test_viewer_gets_403_on_upload_and_nothing_is_stored(api_as, viewer, matter):
    response = upload(api_as(viewer), matter, pdf_file())

    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "detail": "Your role in this matter (viewer) does not allow this; "
        "editor or higher is needed.",
    }
    assert Document.objects.count() == 0


def test_non_member_gets_404_on_upload(api_as, outsider, matter):
    response = upload(api_as(outsider), matter, pdf_file())

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Document.objects.count() == 0


def test_upload_without_a_file_is_400_with_field_errors(api_as, editor, matter):
    response = api_as(editor).post(
        f"/api/v1/matters/{matter.pk}/documents/", {"note": "x"}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "file: This field is required.",
        "errors": {"file": ["This field is required."]},
    }


def test_upload_over_the_size_limit_is_413_and_nothing_is_kept(api_as, editor, matter, settings):
    settings.MAX_UPLOAD_BYTES = 100
    content = make_text_pdf(["Only the over-size test uploads this."])

    response = upload(api_as(editor), matter, pdf_file("big.pdf", content))

    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "detail": "big.pdf is larger than the limit of 100 bytes.",
    }
    assert Document.objects.count() == 0
    assert not storage.blob_path(hashlib.sha256(content).hexdigest()).exists()


def test_upload_the_service_refuses_while_streaming_is_413(api_as, editor, matter, monkeypatch):
    # A body whose declared size understates its stream cannot be built with the test client,
    # so the service is made to refuse as it would.
    def refuse(*args, **kwargs):
        raise storage.UploadTooLargeError(100)

    monkeypatch.setattr(ingestion, "submit", refuse)

    response = upload(api_as(editor), matter, pdf_file())

    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "detail": "lease.pdf: The file is larger than the limit of 100 bytes.",
    }


def test_malformed_multipart_body_is_400_parse_error(api_as, editor, matter):
    response = api_as(editor).post(
        f"/api/v1/matters/{matter.pk}/documents/", b"garbage", content_type="multipart/form-data"
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "detail": "Multipart form parse error - Invalid boundary in multipart: None",
    }
