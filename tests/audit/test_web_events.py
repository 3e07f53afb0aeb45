"""What the staff web UI records: signing in (and failing to), signing out, reading a
document, searching, and every refusal, exactly once each."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.audit.conftest import (
    ADDRESS,
    PASSWORD,
    REQUEST_ID,
    events,
    from_client,
    only,
    who_what_where,
)

pytestmark = pytest.mark.django_db


def test_signing_in_is_recorded_with_the_address_and_request_id(viewer):
    Client().post("/login/", {"username": "viewer", "password": PASSWORD}, **from_client())

    assert who_what_where(only("sign_in")) == (
        viewer.pk, "viewer", None, "", "", "", ADDRESS, REQUEST_ID,
    )  # fmt: skip


def test_a_failed_sign_in_is_recorded_with_the_name_tried_and_never_the_password(viewer):
    response = Client().post(
        "/login/", {"username": "viewer", "password": "guess-123"}, **from_client()
    )

    record = only("sign_in_failed")
    assert response.status_code == 200
    assert who_what_where(record) == (None, "anonymous", None, "", "", "", ADDRESS, REQUEST_ID)
    assert record.details == {"method": "password", "username": "viewer"}
    assert events("sign_in") == []


def test_signing_out_is_recorded(viewer):
    client = Client()
    client.post("/login/", {"username": "viewer", "password": PASSWORD})

    client.post("/logout/", **from_client())

    record = only("sign_out")
    assert (record.actor_id, record.request_id) == (viewer.pk, REQUEST_ID)


def test_reading_a_document_records_the_pages_on_screen(viewer, make_document, matter):
    document = make_document(pages=["One.", "Two.", "Three."])
    client = Client()
    client.force_login(viewer)

    client.get(f"/documents/{document.pk}/?page=2&start=0&end=3", **from_client())

    record = only("view_document")
    assert who_what_where(record) == (
        viewer.pk, "viewer", matter.pk, "smith-v-jones", "document", str(document.pk),
        ADDRESS, REQUEST_ID,
    )  # fmt: skip
    assert record.details == {"part": "pages", "pages": [1, 2, 3]}


def test_searching_from_the_matter_page_is_recorded(viewer, matter, fresh_indexes):
    client = Client()
    client.force_login(viewer)

    client.get(f"/matters/{matter.pk}/?q=indemnity", **from_client())

    record = only("search")
    assert (record.actor_name, record.matter_slug, record.request_id) == (
        "viewer", "smith-v-jones", REQUEST_ID,
    )  # fmt: skip
    assert record.details == {"query": "indemnity", "k": 10, "hits": 0, "chunk_ids": []}


def test_a_non_member_opening_a_document_is_recorded_as_denied(outsider, make_document):
    document = make_document()
    client = Client()
    client.force_login(outsider)

    response = client.get(f"/documents/{document.pk}/", **from_client())

    record = only("access_denied")
    assert response.status_code == 404
    assert (record.actor_name, record.target_type, record.target_id, record.details) == (
        "outsider", "document", str(document.pk),
        {"reason": "outside the user's matters", "status": 404},
    )  # fmt: skip


def test_a_viewer_posting_an_upload_is_recorded_once_as_denied_by_role(viewer, matter):
    client = Client()
    client.force_login(viewer)

    response = client.post(f"/matters/{matter.pk}/", {}, **from_client())

    record = only("access_denied")
    assert response.status_code == 403
    assert (record.matter_slug, record.details) == (
        "smith-v-jones", {"reason": "needs the editor role", "status": 403},
    )  # fmt: skip


def test_a_403_no_view_recorded_is_recorded_by_the_middleware(viewer):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/login/", {"username": "viewer", "password": PASSWORD}, **from_client())

    record = only("access_denied")
    assert response.status_code == 403
    assert who_what_where(record) == (None, "anonymous", None, "", "", "", ADDRESS, REQUEST_ID)
    assert record.details == {
        "reason": "refused",
        "status": 403,
        "method": "POST",
        "path": "/login/",
    }
