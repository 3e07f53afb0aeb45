"""The admin deletes documents only through the deletion service (file, pages, chunks, vectors
and a receipt), and never edits documents or receipts."""

from __future__ import annotations

import pytest
from django.test import Client

from docproc.models import DeletionReceipt, Document

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(make_user) -> Client:
    client = Client()
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_deleting_a_document_in_the_admin_writes_a_receipt(admin_client_, make_document):
    document = make_document("old.pdf", pages=["text"])

    response = admin_client_.post(f"/admin/docproc/document/{document.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Document.objects.filter(pk=document.pk).exists()
    receipt = DeletionReceipt.objects.get()
    assert (receipt.document_id, receipt.filename, receipt.pages_removed) == (
        document.pk,
        "old.pdf",
        1,
    )
    assert receipt.deleted_by.username == "root"


def test_bulk_delete_action_goes_through_the_service(admin_client_, make_document):
    documents = [make_document("a.pdf"), make_document("b.pdf")]

    response = admin_client_.post(
        "/admin/docproc/document/",
        {
            "action": "delete_selected",
            "_selected_action": [d.pk for d in documents],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert Document.objects.count() == 0
    assert sorted(DeletionReceipt.objects.values_list("filename", flat=True)) == ["a.pdf", "b.pdf"]


def test_document_and_receipt_pages_are_read_only(admin_client_, make_document):
    document = make_document("view.pdf")

    change = admin_client_.get(f"/admin/docproc/document/{document.pk}/change/")
    add = admin_client_.get("/admin/docproc/document/add/")

    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert add.status_code == 403
