"""The plain pages behind the matter page's row buttons (what they open with scripts off):
supplying an encrypted PDF's password and deleting a document with confirmation. Editors and
managers only: a viewer is refused (403) and a non-member told the document does not exist
(404), and both refusals are in the audit log."""

from __future__ import annotations

import pytest
from django.test import Client

from docproc.models import AuditEvent, DeletionReceipt, Document, DocumentStatus, Page
from docproc.pipeline.ingest.parse.pdf import WRONG_PASSWORD_REASON
from docproc.services import ingestion
from tests.factories.files import make_encrypted_pdf

pytestmark = pytest.mark.django_db


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def denials() -> list[tuple[str, str, str, int]]:
    return [
        (e.actor_name, e.target_type, e.details["reason"], e.details["status"])
        for e in AuditEvent.objects.filter(action="access_denied").order_by("seq")
    ]


# --- delete ------------------------------------------------------------------------------------


def test_delete_page_asks_for_confirmation_and_deletes_nothing(editor, make_document):
    document = make_document("lease.pdf", pages=["Rent."])

    response = client_as(editor).get(f"/documents/{document.pk}/delete/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Delete lease.pdf?</h1>" in html
    assert "It cannot be undone." in html
    assert f'<form method="post" action="/documents/{document.pk}/delete/">' in html
    assert Document.objects.filter(pk=document.pk).exists()


def test_confirming_deletes_the_document_and_returns_to_the_matter_with_a_receipt(
    editor, matter, make_document
):
    document = make_document("lease.pdf", pages=["Rent.", "Deposit."])

    response = client_as(editor).post(f"/documents/{document.pk}/delete/", follow=True)

    assert response.redirect_chain == [(f"/matters/{matter.pk}/", 302)]
    receipt = DeletionReceipt.objects.get(document_id=document.pk)
    assert (receipt.filename, receipt.pages_removed, receipt.deleted_by) == ("lease.pdf", 2, editor)
    assert (
        f"Deleted lease.pdf: 2 pages and 0 passages removed, with their search vectors "
        f"(deletion receipt {receipt.pk})." in response.content.decode()
    )
    assert not Document.objects.filter(pk=document.pk).exists()
    assert Page.objects.filter(document_id=document.pk).count() == 0
    event = AuditEvent.objects.get(action="delete")
    assert (event.actor_name, event.target_id) == ("editor", str(document.pk))


def test_manager_may_delete_too(manager, make_document):
    document = make_document("lease.pdf")

    response = client_as(manager).post(f"/documents/{document.pk}/delete/")

    assert response.status_code == 302
    assert not Document.objects.filter(pk=document.pk).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_viewer_is_refused_delete_and_the_refusal_is_audited(viewer, make_document, method):
    document = make_document("lease.pdf")

    response = getattr(client_as(viewer), method)(f"/documents/{document.pk}/delete/")

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert Document.objects.filter(pk=document.pk).exists()
    assert denials() == [("viewer", "document", "needs the editor role", 403)]


def test_non_member_is_told_the_document_does_not_exist_and_it_is_audited(outsider, make_document):
    document = make_document("lease.pdf")

    response = client_as(outsider).post(f"/documents/{document.pk}/delete/")

    assert response.status_code == 404
    assert b"lease.pdf" not in response.content
    assert Document.objects.filter(pk=document.pk).exists()
    assert denials() == [("outsider", "document", "outside the user's matters", 404)]


def test_anonymous_visitor_is_sent_to_login_from_delete(make_document):
    document = make_document("lease.pdf")

    response = Client().post(f"/documents/{document.pk}/delete/")

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/documents/{document.pk}/delete/"
    assert Document.objects.filter(pk=document.pk).exists()


def test_delete_refuses_other_methods(editor, make_document):
    document = make_document("lease.pdf")

    response = client_as(editor).put(f"/documents/{document.pk}/delete/")

    assert response.status_code == 405
    assert Document.objects.filter(pk=document.pk).exists()


# --- password ----------------------------------------------------------------------------------


def test_password_page_shows_a_labelled_form_and_why_it_is_needed(editor, make_document):
    document = make_document(
        "locked.pdf",
        status=DocumentStatus.NEEDS_PASSWORD,
        reason="This PDF is encrypted. Supply its password to process it.",
    )

    response = client_as(editor).get(f"/documents/{document.pk}/password/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Password for locked.pdf</h1>" in html
    assert "This PDF is encrypted. Supply its password to process it." in html
    assert '<label for="id_password">Password</label>' in html
    assert 'type="password" name="password"' in html


def test_submitting_a_password_queues_the_document_again(
    editor, matter, make_document, enqueued, django_capture_on_commit_callbacks
):
    document = make_document("locked.pdf", status=DocumentStatus.NEEDS_PASSWORD)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(editor).post(
            f"/documents/{document.pk}/password/", {"password": " s3cret "}, follow=True
        )

    assert response.redirect_chain == [(f"/matters/{matter.pk}/", 302)]
    assert "Password received for locked.pdf; it is being processed again." in (
        response.content.decode()
    )
    document.refresh_from_db()
    assert (document.status, document.pending_password) == (DocumentStatus.RECEIVED, " s3cret ")
    assert enqueued == [document.pk]
    event = AuditEvent.objects.get(action="password_supplied")
    assert event.target_id == str(document.pk)
    assert "s3cret" not in str(event.details)


def test_an_empty_password_is_400_with_the_error_shown(editor, make_document, enqueued):
    document = make_document("locked.pdf", status=DocumentStatus.NEEDS_PASSWORD)

    response = client_as(editor).post(f"/documents/{document.pk}/password/", {"password": ""})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    document.refresh_from_db()
    assert document.status == DocumentStatus.NEEDS_PASSWORD
    assert enqueued == []


def test_password_page_is_409_for_a_document_that_does_not_need_one(
    editor, make_document, enqueued
):
    document = make_document("ready.pdf", status=DocumentStatus.INDEXED)

    response = client_as(editor).post(f"/documents/{document.pk}/password/", {"password": "x"})

    assert response.status_code == 409
    assert "ready.pdf does not need a password now" in response.content.decode()
    assert enqueued == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_viewer_is_refused_the_password_page_and_it_is_audited(
    viewer, make_document, enqueued, method
):
    document = make_document("locked.pdf", status=DocumentStatus.NEEDS_PASSWORD)

    response = getattr(client_as(viewer), method)(
        f"/documents/{document.pk}/password/", {"password": "x"}
    )

    assert response.status_code == 403
    document.refresh_from_db()
    assert document.status == DocumentStatus.NEEDS_PASSWORD
    assert enqueued == []
    assert denials() == [("viewer", "document", "needs the editor role", 403)]


def test_non_member_gets_404_from_the_password_page(outsider, make_document):
    document = make_document("locked.pdf", status=DocumentStatus.NEEDS_PASSWORD)

    response = client_as(outsider).get(f"/documents/{document.pk}/password/")

    assert response.status_code == 404
    assert denials() == [("outsider", "document", "outside the user's matters", 404)]


def test_a_wrong_password_comes_back_with_its_reason_and_the_right_one_opens_the_pdf(
    editor, matter, isolated_storage, django_capture_on_commit_callbacks
):
    # Given an encrypted PDF, uploaded and parsed here (the pipeline stage itself, no worker)
    pdf = make_encrypted_pdf(["Sealed rent schedule."], user_password="open-sesame")
    document = ingestion.submit(matter, "sealed.pdf", [pdf], editor).document
    assert ingestion.parse(document.pk) is False
    client = client_as(editor)
    url = f"/documents/{document.pk}/password/"

    # When a wrong password is given and the document is parsed again
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"password": "wrong"})
    assert ingestion.parse(document.pk) is False

    # Then the password page says so
    page = client.get(url)
    assert page.status_code == 200
    assert WRONG_PASSWORD_REASON in page.content.decode()

    # When the right one is given, parsing reads the text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"password": "open-sesame"})
    assert ingestion.parse(document.pk) is True
    assert Page.objects.get(document=document).text.strip() == "Sealed rent schedule."
