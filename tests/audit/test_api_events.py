"""What the REST API records: uploads, reads of a document (status, page, chunks, original),
deletions, passwords, reprocessing, searches and refusals, each with the actor, the matter, the
target, the client's address and the request id."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from docproc.models import Chunk, DeletionReceipt, DocumentStatus
from docproc.services import ingestion, tokens
from tests.audit.conftest import ADDRESS, REQUEST_ID, events, from_client, only, who_what_where
from tests.factories.files import make_text_pdf

pytestmark = pytest.mark.django_db

NOTE = b"Invoices are payable within thirty days.\n"


def upload(client, matter, name: str = "note.txt", content: bytes = NOTE):
    return client.post(
        f"/api/v1/matters/{matter.pk}/documents/",
        {"file": [SimpleUploadedFile(name, content, content_type="text/plain")]},
        format="multipart",
        **from_client(),
    )


def test_upload_is_recorded_with_actor_matter_target_address_and_request_id(api_as, editor, matter):
    response = upload(api_as(editor), matter)

    record = only("upload")
    document_id = response.json()["id"]
    assert who_what_where(record) == (
        editor.pk, "editor", matter.pk, "smith-v-jones", "document", str(document_id),
        ADDRESS, REQUEST_ID,
    )  # fmt: skip
    assert record.details == {
        "filename": "note.txt",
        "sha256": hashlib.sha256(NOTE).hexdigest(),
        "size_bytes": len(NOTE),
        "file_type": "txt",
        "status": "received",
        "created": True,
    }


def test_uploading_the_same_bytes_again_is_recorded_as_not_created(api_as, editor, matter):
    upload(api_as(editor), matter)

    upload(api_as(editor), matter, name="copy.txt")

    first, second = events("upload")
    assert (first.details["created"], second.details["created"]) == (True, False)
    assert (second.details["filename"], second.target_id) == ("copy.txt", first.target_id)


def test_the_request_id_is_echoed_in_the_response(api_as, viewer, make_document):
    document = make_document()

    response = api_as(viewer).get(f"/api/v1/documents/{document.pk}/", **from_client())

    assert response["X-Request-ID"] == REQUEST_ID


def test_an_unusable_request_id_is_replaced_by_a_generated_one(api_as, viewer, make_document):
    document = make_document()

    response = api_as(viewer).get(
        f"/api/v1/documents/{document.pk}/", HTTP_X_REQUEST_ID="two words; <script>"
    )

    generated = response["X-Request-ID"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    assert only("view_document").request_id == generated


def test_reading_a_documents_status_is_recorded(api_as, viewer, make_document, matter):
    document = make_document()

    api_as(viewer).get(f"/api/v1/documents/{document.pk}/", **from_client())

    record = only("view_document")
    assert who_what_where(record) == (
        viewer.pk, "viewer", matter.pk, "smith-v-jones", "document", str(document.pk),
        ADDRESS, REQUEST_ID,
    )  # fmt: skip
    assert record.details == {"part": "status"}


def test_polling_a_documents_status_is_recorded_once_per_user_and_window(
    api_as, viewer, editor, make_document
):
    document = make_document()
    viewer_api, editor_api = api_as(viewer), api_as(editor)

    statuses = [viewer_api.get(f"/api/v1/documents/{document.pk}/").status_code for _ in range(5)]
    editor_api.get(f"/api/v1/documents/{document.pk}/")

    assert statuses == [200] * 5
    assert [r.actor_name for r in events("view_document")] == ["viewer", "editor"]


def test_a_status_read_after_the_window_is_recorded_again(api_as, viewer, make_document, settings):
    settings.AUDIT_STATUS_VIEW_WINDOW_S = 1
    document = make_document()
    api = api_as(viewer)
    api.get(f"/api/v1/documents/{document.pk}/")

    time.sleep(1.1)
    api.get(f"/api/v1/documents/{document.pk}/")

    assert len(events("view_document")) == 2


def test_every_read_of_a_page_is_recorded(api_as, viewer, make_document):
    document = make_document(pages=["First page."])
    api = api_as(viewer)

    for _ in range(3):
        api.get(f"/api/v1/documents/{document.pk}/pages/1/")

    assert len(events("view_page")) == 3


def test_reading_a_page_is_recorded_with_its_number(api_as, viewer, make_document):
    document = make_document(pages=["First page.", "Second page."])

    api_as(viewer).get(f"/api/v1/documents/{document.pk}/pages/2/", **from_client())

    record = only("view_page")
    assert (record.actor_name, record.target_id, record.details) == (
        "viewer", str(document.pk), {"page": 2},
    )  # fmt: skip


def test_a_page_that_does_not_exist_is_not_recorded_as_read(api_as, viewer, make_document):
    document = make_document(pages=["Only page."])

    response = api_as(viewer).get(f"/api/v1/documents/{document.pk}/pages/5/")

    assert response.status_code == 404
    assert events("view_page") == []


def test_listing_chunks_is_recorded_with_the_chunk_ids_shown(api_as, viewer, make_document):
    document = make_document(pages=["Alpha. Beta."])
    chunks = [
        Chunk.objects.create(
            document=document,
            ordinal=n,
            page=1,
            char_start=0,
            char_end=5,
            text="Alpha",
            token_count=1,
            text_sha256="0" * 64,
        )  # fmt: skip
        for n in range(3)
    ]

    api_as(viewer).get(f"/api/v1/documents/{document.pk}/chunks/?page_size=2")

    assert only("view_document").details == {
        "part": "chunks",
        "chunk_ids": [chunks[0].pk, chunks[1].pk],
    }


def test_downloading_the_original_is_recorded(api_as, editor, viewer, matter):
    document_id = upload(api_as(editor), matter).json()["id"]

    response = api_as(viewer).get(f"/api/v1/documents/{document_id}/original/", **from_client())

    record = only("download")
    assert response.status_code == 200
    assert who_what_where(record) == (
        viewer.pk, "viewer", matter.pk, "smith-v-jones", "document", str(document_id),
        ADDRESS, REQUEST_ID,
    )  # fmt: skip
    assert record.details == {"filename": "note.txt", "sha256": hashlib.sha256(NOTE).hexdigest()}


def test_deleting_a_document_is_recorded_with_its_receipt(api_as, editor, matter):
    document_id = upload(api_as(editor), matter).json()["id"]

    api_as(editor).delete(f"/api/v1/documents/{document_id}/", **from_client())

    record = only("delete")
    assert who_what_where(record) == (
        editor.pk, "editor", matter.pk, "smith-v-jones", "document", str(document_id),
        ADDRESS, REQUEST_ID,
    )  # fmt: skip
    assert record.details == {
        "filename": "note.txt",
        "sha256": hashlib.sha256(NOTE).hexdigest(),
        "receipt": DeletionReceipt.objects.get().pk,
        "pages_removed": 0,
        "chunks_removed": 0,
        "vectors_removed": 0,
        "summaries_removed": 0,
        "jobs_removed": 0,
    }


def test_supplying_a_password_is_recorded_without_the_password(api_as, editor, make_document):
    document = make_document("locked.pdf", status=DocumentStatus.NEEDS_PASSWORD)

    response = api_as(editor).post(
        f"/api/v1/documents/{document.pk}/password/", {"password": "s3cret-Pa55"}, format="json",
        **from_client(),
    )  # fmt: skip

    record = only("password_supplied")
    assert response.status_code == 202
    assert (record.actor_name, record.target_id, record.request_id, record.details) == (
        "editor", str(document.pk), REQUEST_ID, {},
    )  # fmt: skip
    assert "s3cret-Pa55" not in json.dumps([e.details for e in events()])


def test_reprocessing_is_recorded_with_the_state_it_left(api_as, editor, make_document):
    document = make_document("scan.pdf", status=DocumentStatus.FAILED, reason="No text.")

    api_as(editor).post(f"/api/v1/documents/{document.pk}/reprocess/", **from_client())

    record = only("reprocess")
    assert (record.actor_name, record.target_id, record.details) == (
        "editor", str(document.pk), {"from_status": "failed"},
    )  # fmt: skip


def test_search_is_recorded_with_the_query_and_the_chunks_returned(
    api_as, make_member, index_document
):
    matter, document = index_document(
        "audit-search", "lease.pdf", make_text_pdf(["The tenant shall pay rent monthly."])
    )
    viewer = make_member("viewer", "vera", in_matter=matter)

    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/search/", {"query": "rent", "k": 3}, format="json",
        **from_client(),
    )  # fmt: skip

    record = only("search")
    hits = response.json()["results"]
    assert who_what_where(record) == (
        viewer.pk, "vera", matter.pk, "audit-search", "", "", ADDRESS, REQUEST_ID,
    )  # fmt: skip
    assert record.details == {
        "query": "rent",
        "k": 3,
        "hits": 1,
        "chunk_ids": [hits[0]["chunk"]],
    }


def test_a_non_member_asking_for_a_document_is_recorded_as_denied(
    api_as, outsider, make_document, matter
):
    document = make_document()

    response = api_as(outsider).get(f"/api/v1/documents/{document.pk}/", **from_client())

    record = only("access_denied")
    assert response.status_code == 404
    assert who_what_where(record) == (
        outsider.pk, "outsider", matter.pk, "smith-v-jones", "document", str(document.pk),
        ADDRESS, REQUEST_ID,
    )  # fmt: skip
    assert record.details == {"reason": "outside the user's matters", "status": 404}
    assert events("view_document") == []


def test_a_non_member_asking_for_a_matter_is_recorded_as_denied(api_as, outsider, matter):
    api_as(outsider).post(f"/api/v1/matters/{matter.pk}/search/", {"query": "rent"}, format="json")

    record = only("access_denied")
    assert (record.matter_slug, record.target_type, record.target_id) == (
        "smith-v-jones", "matter", str(matter.pk),
    )  # fmt: skip


def test_an_id_that_does_not_exist_is_not_a_denial(api_as, outsider):
    response = api_as(outsider).get("/api/v1/documents/987654/")

    assert response.status_code == 404
    assert events() == []


def test_a_viewer_trying_to_delete_is_recorded_once_as_denied_by_role(
    api_as, viewer, make_document, matter
):
    document = make_document()

    response = api_as(viewer).delete(f"/api/v1/documents/{document.pk}/", **from_client())

    record = only("access_denied")
    assert response.status_code == 403
    assert who_what_where(record) == (
        viewer.pk, "viewer", matter.pk, "smith-v-jones", "document", str(document.pk),
        ADDRESS, REQUEST_ID,
    )  # fmt: skip
    assert record.details == {"reason": "needs the editor role", "status": 403, "role": "viewer"}
    assert events("delete") == []


def test_submitting_through_the_service_without_a_user_is_recorded_as_the_system(matter):
    ingestion.submit(matter, "note.txt", [NOTE])

    record = only("upload")
    assert (record.actor_id, record.actor_name, record.client_address, record.request_id) == (
        None, "system", "", "",
    )  # fmt: skip


def test_a_revoked_token_is_recorded_as_a_failed_sign_in_naming_its_prefix(viewer):
    issued = tokens.create_token(viewer, "read")
    tokens.revoke(issued.token)

    response = APIClient().get(
        "/api/v1/matters/", HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}", **from_client()
    )

    record = only("sign_in_failed")
    assert response.status_code == 401
    assert who_what_where(record) == (None, "anonymous", None, "", "", "", ADDRESS, REQUEST_ID)
    assert record.details == {
        "method": "token",
        "prefix": issued.token.prefix,
        "reason": "This token has been revoked.",
    }
