"""The pages that run a matter's life: creating one (only with ``docproc.add_matter``), editing
its details (its reference is fixed), closing it (read-only, said on the page, no upload) and
reopening it, and deleting it whole by typing its reference, which answers with the receipt of
every document removed. Managers only, apart from creating; every change and every refusal is
in the audit log."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import dateformat, timezone

from docproc.models import (
    DeletionReceipt,
    Document,
    Matter,
    MatterDeletionReceipt,
    MatterStatus,
    Membership,
    PracticeArea,
    Role,
)
from tests.web.audit_records import denials, events, text

pytestmark = pytest.mark.django_db


# --- creating ----------------------------------------------------------------------------------


def test_home_offers_new_matter_only_to_matter_creators(signed_in, creator, manager):
    assert 'id="new-matter-link"' in signed_in(creator).get("/").content.decode()
    assert 'id="new-matter-link"' not in signed_in(manager).get("/").content.decode()


def test_a_user_without_the_permission_is_refused_the_new_matter_page_in_words(signed_in, manager):
    response = signed_in(manager).get("/matters/new/")

    assert response.status_code == 403
    assert "Creating matters needs a permission an administrator grants" in text(response)
    assert denials() == [("manager", "needs the docproc.add_matter permission", 403)]


def test_creating_a_matter_makes_its_creator_the_manager(signed_in, creator):
    PracticeArea.objects.create(slug="litigation", name="Litigation", default_retention_years=7)

    response = signed_in(creator).post(
        "/matters/new/",
        {
            "name": "Brown v Green",
            "slug": "brown-v-green",
            "description": "Boundary dispute.",
            "client_reference": "CL-0042",
            "practice_area": "litigation",
            "retention_years": "10",
        },
        follow=True,
    )

    matter = Matter.objects.get(slug="brown-v-green")
    assert response.redirect_chain == [(f"/matters/{matter.pk}/", 302)]
    assert "Created Brown v Green (brown-v-green). You manage it." in text(response)
    assert (matter.name, matter.description, matter.client_reference) == (
        "Brown v Green",
        "Boundary dispute.",
        "CL-0042",
    )
    assert (matter.practice_area.slug, matter.retention_years, matter.created_by) == (
        "litigation",
        10,
        creator,
    )
    assert Membership.objects.get(matter=matter).user == creator
    assert Membership.objects.get(matter=matter).role == Role.MANAGER
    [created] = events("matter_change")
    assert (created.actor_name, created.details["change"]) == ("creator", "created")
    assert created.details["after"]["client_reference"] == "CL-0042"
    [added] = events("membership_change")
    assert (added.details["user"], added.details["role"], added.details["reason"]) == (
        "creator",
        "manager",
        "creator",
    )


def test_a_taken_reference_is_refused_in_words_and_nothing_is_created(signed_in, creator, matter):
    response = signed_in(creator).post("/matters/new/", {"name": "Again", "slug": matter.slug})

    assert response.status_code == 409
    assert "A matter with the reference 'smith-v-jones' already exists." in text(response)
    assert Matter.objects.count() == 1


def test_a_reference_with_capitals_or_spaces_is_refused(signed_in, creator):
    response = signed_in(creator).post("/matters/new/", {"name": "X", "slug": "Brown v Green"})

    assert response.status_code == 400
    assert Matter.objects.count() == 0
    assert 'id="id_slug_error"' in response.content.decode()


# --- editing -----------------------------------------------------------------------------------


def test_the_edit_page_shows_the_reference_read_only(signed_in, manager, matter):
    response = signed_in(manager).get(f"/matters/{matter.pk}/edit/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<code id="matter-reference">smith-v-jones</code>' in html
    assert 'name="slug"' not in html
    assert 'value="Smith v Jones"' in html


def test_editing_changes_the_details_but_never_the_reference(signed_in, manager, matter):
    response = signed_in(manager).post(
        f"/matters/{matter.pk}/edit/",
        {"name": "Smith v Jones (appeal)", "slug": "hijacked", "description": "Court of Appeal."},
        follow=True,
    )

    matter.refresh_from_db()
    assert (matter.slug, matter.name, matter.description) == (
        "smith-v-jones",
        "Smith v Jones (appeal)",
        "Court of Appeal.",
    )
    assert "Saved the changes to smith-v-jones: name, description." in text(response)
    [edited] = events("matter_change")
    assert edited.details == {
        "change": "edited",
        "fields": {
            "name": {"before": "Smith v Jones", "after": "Smith v Jones (appeal)"},
            "description": {"before": "", "after": "Court of Appeal."},
        },
    }


@pytest.mark.parametrize("path", ["edit", "close", "reopen", "delete"])
def test_an_editor_is_refused_the_managers_pages_in_words_and_it_is_audited(
    signed_in, editor, matter, path
):
    response = signed_in(editor).post(f"/matters/{matter.pk}/{path}/", {"reason": "x"})

    assert response.status_code == 403
    assert "Only the matter's managers can" in text(response)
    assert denials() == [("editor", "needs the manager role", 403)]
    assert Matter.objects.get(pk=matter.pk).status == MatterStatus.OPEN


@pytest.mark.parametrize("path", ["edit", "close", "delete"])
def test_an_outsider_is_told_the_matter_does_not_exist(signed_in, outsider, matter, path):
    response = signed_in(outsider).get(f"/matters/{matter.pk}/{path}/")

    assert response.status_code == 404
    assert b"Smith v Jones" not in response.content
    assert denials() == [("outsider", "outside the user's matters", 404)]


# --- closing and reopening ---------------------------------------------------------------------


def test_closing_makes_the_matter_read_only_and_the_page_says_so(
    signed_in, manager, matter, make_document
):
    make_document("lease.pdf")

    response = signed_in(manager).post(
        f"/matters/{matter.pk}/close/", {"reason": "Completed."}, follow=True
    )

    matter.refresh_from_db()
    assert (matter.status, matter.closed_by) == (MatterStatus.CLOSED, manager)
    page = text(response)
    assert "Closed — read-only." in page
    assert "Questions and search still work; uploads and changes to documents do not." in page
    html = response.content.decode()
    assert 'id="upload-form"' not in html
    assert 'data-action="delete"' not in html
    assert "Reopen the matter" in html
    [closed] = events("matter_change")
    assert (closed.details["change"], closed.details["reason"]) == ("closed", "Completed.")


def test_an_upload_into_a_closed_matter_is_refused_with_409_and_nothing_is_stored(
    signed_in, editor, matter
):
    matter.status = MatterStatus.CLOSED
    matter.save()
    upload = SimpleUploadedFile("late.txt", b"too late\n")

    response = signed_in(editor).post(f"/matters/{matter.pk}/", {"files": upload})

    assert response.status_code == 409
    assert "The matter smith-v-jones is closed, so you cannot upload documents." in text(response)
    assert Document.objects.count() == 0


def test_deleting_a_document_of_a_closed_matter_is_refused_in_words(
    signed_in, editor, matter, make_document
):
    document = make_document("lease.pdf")
    Matter.objects.filter(pk=matter.pk).update(status=MatterStatus.CLOSED)

    response = signed_in(editor).post(f"/documents/{document.pk}/delete/")

    assert response.status_code == 409
    assert "The matter smith-v-jones is closed, so you cannot delete its documents." in text(
        response
    )
    assert "Delete permanently" not in text(response)
    assert Document.objects.filter(pk=document.pk).exists()


def test_reopening_allows_uploads_again(signed_in, manager, matter):
    client = signed_in(manager)
    client.post(f"/matters/{matter.pk}/close/", {"reason": ""})

    response = client.post(f"/matters/{matter.pk}/reopen/", {"reason": "New evidence."})

    matter.refresh_from_db()
    assert response.status_code == 302
    assert (matter.status, matter.closed_at) == (MatterStatus.OPEN, None)
    assert 'id="upload-form"' in client.get(f"/matters/{matter.pk}/").content.decode()
    assert [e.details["change"] for e in events("matter_change")] == ["closed", "reopened"]
    assert events("matter_change")[1].details["reason"] == "New evidence."


def test_closing_a_closed_matter_says_it_already_is(signed_in, manager, matter):
    client = signed_in(manager)
    client.post(f"/matters/{matter.pk}/close/", {"reason": ""})

    response = client.post(f"/matters/{matter.pk}/close/", {"reason": ""})

    assert response.status_code == 409
    assert "The matter smith-v-jones is already closed." in text(response)


# --- deleting the whole matter -----------------------------------------------------------------


def test_the_delete_page_asks_for_the_reference_and_deletes_nothing(
    signed_in, manager, matter, make_document
):
    make_document("lease.pdf")

    response = signed_in(manager).get(f"/matters/{matter.pk}/delete/")

    assert response.status_code == 200
    assert "with all of its 1 document" in text(response)
    assert "Type the matter's reference to confirm" in text(response)
    assert Matter.objects.filter(pk=matter.pk).exists()


def test_a_wrong_reference_deletes_nothing(signed_in, manager, matter):
    response = signed_in(manager).post(f"/matters/{matter.pk}/delete/", {"confirm": "smith"})

    assert response.status_code == 400
    assert "That is not this matter's reference. Type smith-v-jones to delete it." in text(response)
    assert Matter.objects.filter(pk=matter.pk).exists()


def test_deleting_the_matter_shows_the_receipt_of_every_document_removed(
    signed_in, manager, matter, make_document
):
    lease = make_document("lease.pdf", pages=["Rent.", "Deposit."])
    deed = make_document("deed.pdf", pages=["Title."])

    response = signed_in(manager).post(
        f"/matters/{matter.pk}/delete/", {"confirm": "smith-v-jones"}
    )

    receipt = MatterDeletionReceipt.objects.get()
    page = text(response)
    assert response.status_code == 200
    when = dateformat.format(timezone.localtime(receipt.deleted_at), "j M Y H:i")
    assert f"The matter smith-v-jones was deleted on {when} by manager, with 2 documents" in page
    assert f"Matter deletion receipt {receipt.pk}." in page
    assert [(d["filename"], d["pages_removed"]) for d in receipt.documents] == [
        ("lease.pdf", 2),
        ("deed.pdf", 1),
    ]
    for document in (lease, deed):
        assert document.sha256 in page
        assert DeletionReceipt.objects.get(document_id=document.pk).matter_receipt == receipt
    assert not Matter.objects.filter(pk=matter.pk).exists()
    assert Document.objects.count() == 0
    [deleted] = events("matter_delete")
    assert (deleted.actor_name, deleted.details["documents_removed"]) == ("manager", 2)


# --- the refusal page --------------------------------------------------------------------------


def test_a_refusal_says_why_in_words(signed_in, viewer, matter, make_document):
    document = make_document("lease.pdf")

    response = signed_in(viewer).get(f"/documents/{document.pk}/delete/")

    assert response.status_code == 403
    assert "Only the matter's editors and managers can change its documents." in text(response)
