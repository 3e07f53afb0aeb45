"""``POST matters/``, ``PATCH``/``DELETE matters/{id}/``, ``POST matters/{id}/close/`` and
``/reopen/``: exact bodies of every answer, who may do each, and the audit trail."""

from __future__ import annotations

import pytest

from docproc.models import (
    AuditEvent,
    DeletionReceipt,
    Document,
    Matter,
    Membership,
    PracticeArea,
    Role,
)
from docproc.models.audit import Action
from docproc.services import holds, matters
from tests.api.expected import iso

pytestmark = pytest.mark.django_db


def _denials() -> list[dict]:
    return [e.details for e in AuditEvent.objects.filter(action=Action.ACCESS_DENIED)]


def _matter_json(matter: Matter, role: str, **overrides) -> dict:
    matter.refresh_from_db()
    return {
        "id": matter.pk,
        "slug": matter.slug,
        "name": matter.name,
        "description": matter.description,
        "client_reference": matter.client_reference,
        "practice_area": matter.practice_area.slug if matter.practice_area else None,
        "status": matter.status,
        "closed_at": iso(matter.closed_at),
        "retention_years": matter.retention_years,
        "on_hold": False,
        "role": role,
        "documents": 0,
        "created_at": iso(matter.created_at),
        **overrides,
    }


# --- creating ---------------------------------------------------------------------------------


def test_a_matter_creator_creates_a_matter_and_becomes_its_manager(api_as, creator):
    PracticeArea.objects.create(slug="litigation", name="Litigation", default_retention_years=7)

    response = api_as(creator).post(
        "/api/v1/matters/",
        {
            "slug": "doe-v-roe",
            "name": " Doe v Roe ",
            "description": "Boundary dispute",
            "client_reference": "C-1001",
            "practice_area": "litigation",
            "retention_years": 10,
        },
        format="json",
    )

    matter = Matter.objects.get(slug="doe-v-roe")
    assert response.status_code == 201
    assert response["Location"] == f"/api/v1/matters/{matter.pk}/"
    assert response.json() == {
        "id": matter.pk,
        "slug": "doe-v-roe",
        "name": "Doe v Roe",
        "description": "Boundary dispute",
        "client_reference": "C-1001",
        "practice_area": "litigation",
        "status": "open",
        "closed_at": None,
        "retention_years": 10,
        "on_hold": False,
        "role": "manager",
        "documents": 0,
        "created_at": iso(matter.created_at),
    }
    membership = Membership.objects.get(matter=matter)
    assert (membership.user, membership.role, membership.added_by) == (
        creator,
        Role.MANAGER,
        creator,
    )
    created = AuditEvent.objects.get(action=Action.MATTER_CHANGE, matter=matter)
    assert created.details["change"] == "created"


def test_creating_needs_the_add_matter_permission_not_a_role(api_as, manager):
    response = api_as(manager).post(
        "/api/v1/matters/", {"slug": "new-one", "name": "New"}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "detail": "Creating matters needs the docproc.add_matter permission (the Matter "
        "creators group); ask an administrator.",
    }
    assert not Matter.objects.filter(slug="new-one").exists()
    assert _denials()[-1] == {"reason": "needs the docproc.add_matter permission", "status": 403}


def test_a_taken_reference_is_409_matter_exists(api_as, creator, matter):
    response = api_as(creator).post(
        "/api/v1/matters/", {"slug": "smith-v-jones", "name": "Another"}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "code": "matter_exists",
        "detail": "A matter with the reference 'smith-v-jones' already exists.",
    }


def test_bad_fields_are_400_with_the_errors_per_field(api_as, creator):
    response = api_as(creator).post(
        "/api/v1/matters/", {"slug": "x", "retention_years": 101}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "name: This field is required.",
        "errors": {
            "name": ["This field is required."],
            "retention_years": ["Ensure this value is less than or equal to 100."],
        },
    }


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"slug": "Not A Slug", "name": "N"},
            "slug",
            "'Not A Slug' is not a valid matter reference (use lowercase letters, digits and "
            "hyphens)",
        ),
        (
            {"slug": "ok-slug", "name": "N", "practice_area": "tax"},
            "practice_area",
            "There is no practice area 'tax' (known: none defined).",
        ),
        ({"slug": "ok-slug", "name": "   "}, "name", "This field may not be blank."),
        (
            {"slug": "ok-slug", "name": "N", "description": "x" * 5001},
            "description",
            "Ensure this field has no more than 5000 characters.",
        ),
        (
            {"slug": "ok-slug", "name": "N", "status": "closed"},
            "status",
            "Unknown field: a new matter takes slug, name, description, client_reference, "
            "practice_area, retention_years",
        ),
    ],
)
def test_what_the_service_refuses_is_a_400_naming_the_field(api_as, creator, body, field, message):
    response = api_as(creator).post("/api/v1/matters/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": f"{field}: {message}",
        "errors": {field: [message]},
    }
    assert not Matter.objects.filter(slug="ok-slug").exists()


# --- reading and editing ----------------------------------------------------------------------


def test_a_member_reads_the_whole_matter(api_as, viewer, matter, make_document):
    make_document()

    response = api_as(viewer).get(f"/api/v1/matters/{matter.pk}/")

    assert response.status_code == 200
    assert response.json() == _matter_json(matter, "viewer", documents=1)


def test_a_manager_edits_the_matter_and_the_change_is_audited(api_as, manager, matter):
    PracticeArea.objects.create(slug="tax", name="Tax", default_retention_years=6)

    response = api_as(manager).patch(
        f"/api/v1/matters/{matter.pk}/",
        {"name": "Smith v Jones (appeal)", "practice_area": "tax", "retention_years": None},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == _matter_json(
        matter, "manager", name="Smith v Jones (appeal)", practice_area="tax"
    )
    edit = AuditEvent.objects.filter(action=Action.MATTER_CHANGE).get()
    assert edit.details == {
        "change": "edited",
        "fields": {
            "name": {"before": "Smith v Jones", "after": "Smith v Jones (appeal)"},
            "practice_area": {"before": None, "after": "tax"},
        },
    }


def test_the_reference_cannot_be_changed(api_as, manager, matter):
    response = api_as(manager).patch(
        f"/api/v1/matters/{matter.pk}/", {"slug": "renamed", "name": "X"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "slug: A matter's reference (slug) cannot be changed once it is made.",
        "errors": {"slug": ["A matter's reference (slug) cannot be changed once it is made."]},
    }
    assert Matter.objects.get(pk=matter.pk).slug == "smith-v-jones"


def test_other_fields_cannot_be_patched_and_an_empty_patch_says_what_can(api_as, manager, matter):
    fixed = api_as(manager).patch(
        f"/api/v1/matters/{matter.pk}/", {"status": "closed"}, format="json"
    )
    empty = api_as(manager).patch(f"/api/v1/matters/{matter.pk}/", {}, format="json")

    assert fixed.status_code == 400
    assert fixed.json() == {
        "code": "invalid",
        "detail": "status: This field cannot be changed.",
        "errors": {"status": ["This field cannot be changed."]},
    }
    assert empty.status_code == 400
    message = (
        "Send at least one of: name, description, client_reference, practice_area, retention_years."
    )
    assert empty.json() == {
        "code": "invalid",
        "detail": message,
        "errors": {"non_field_errors": [message]},
    }


def test_an_editor_may_not_edit_and_an_outsider_is_told_nothing(api_as, editor, outsider, matter):
    as_editor = api_as(editor).patch(f"/api/v1/matters/{matter.pk}/", {"name": "X"}, format="json")
    as_outsider = api_as(outsider).patch(
        f"/api/v1/matters/{matter.pk}/", {"name": "X"}, format="json"
    )

    assert as_editor.status_code == 403
    assert as_editor.json() == {
        "code": "permission_denied",
        "detail": "Your role in this matter (editor) does not allow this; manager or higher is "
        "needed.",
    }
    assert as_outsider.status_code == 404
    assert as_outsider.json() == {"code": "not_found", "detail": "Matter not found."}
    assert [(d["status"], d["reason"]) for d in _denials()] == [
        (403, "needs the manager role"),
        (404, "outside the user's matters"),
    ]
    assert Matter.objects.get(pk=matter.pk).name == "Smith v Jones"


# --- closing and reopening --------------------------------------------------------------------


def test_a_manager_closes_and_reopens_the_matter(api_as, manager, matter):
    client = api_as(manager)

    closed = client.post(f"/api/v1/matters/{matter.pk}/close/", {"reason": "won"}, format="json")
    again = client.post(f"/api/v1/matters/{matter.pk}/close/")

    matter.refresh_from_db()
    assert closed.status_code == 200
    assert closed.json() == _matter_json(matter, "manager", status="closed")
    assert closed.json()["closed_at"] is not None
    assert again.status_code == 409
    assert again.json() == {
        "code": "conflict",
        "detail": "The matter smith-v-jones is already closed.",
    }

    reopened = client.post(f"/api/v1/matters/{matter.pk}/reopen/")

    assert reopened.status_code == 200
    assert reopened.json() == _matter_json(matter, "manager", status="open", closed_at=None)
    changes = AuditEvent.objects.filter(action=Action.MATTER_CHANGE).order_by("seq")
    assert [(e.details["change"], e.details["reason"]) for e in changes] == [
        ("closed", "won"),
        ("reopened", ""),
    ]


def test_in_a_closed_matter_a_document_cannot_be_deleted(api_as, manager, matter, make_document):
    document = make_document()
    matters.close_matter(manager, matter)

    response = api_as(manager).delete(f"/api/v1/documents/{document.pk}/")

    assert response.status_code == 409
    assert response.json() == {
        "code": "matter_closed",
        "detail": "The matter smith-v-jones is closed, so you cannot delete its documents. A "
        "manager can reopen it.",
    }
    assert Document.objects.filter(pk=document.pk).exists()


def test_a_viewer_may_not_close_the_matter(api_as, viewer, matter):
    response = api_as(viewer).post(f"/api/v1/matters/{matter.pk}/close/")

    assert response.status_code == 403
    assert Matter.objects.get(pk=matter.pk).status == "open"


# --- deleting the whole matter ----------------------------------------------------------------


def test_a_manager_deletes_the_whole_matter_with_one_receipt(
    api_as, manager, matter, make_document
):
    first = make_document("a.pdf", pages=["One."])
    second = make_document("b.pdf", pages=["Two.", "Three."])
    matter_id = matter.pk

    response = api_as(manager).delete(f"/api/v1/matters/{matter_id}/")

    assert response.status_code == 200
    body = response.json()
    receipts = {r.document_id: r for r in DeletionReceipt.objects.all()}
    assert body == {
        "id": body["id"],
        "matter": matter_id,
        "slug": "smith-v-jones",
        "name": "Smith v Jones",
        "reason": "matter_deleted",
        "documents": [
            {
                "receipt": receipts[doc.pk].pk,
                "document_id": doc.pk,
                "filename": doc.filename,
                "sha256": doc.sha256,
                "pages_removed": pages,
                "chunks_removed": 0,
                "vectors_removed": 0,
            }
            for doc, pages in ((first, 1), (second, 2))
        ],
        "index_removed": False,
        "deleted_by": "manager",
        "deleted_at": body["deleted_at"],
    }
    assert not Matter.objects.filter(pk=matter_id).exists()
    assert AuditEvent.objects.filter(action=Action.MATTER_DELETE).count() == 1


def test_a_held_matter_cannot_be_deleted(api_as, manager, matter, make_document):
    make_document()
    hold = holds.place_hold(manager, reason="litigation pending", matter=matter)

    response = api_as(manager).delete(f"/api/v1/matters/{matter.pk}/")

    assert response.status_code == 409
    assert response.json() == {
        "code": "legal_hold",
        "detail": f"Matter smith-v-jones is under a legal hold placed by manager on "
        f"{hold.placed_at:%Y-%m-%d} (litigation pending). Nothing it covers can be deleted or "
        "purged until the hold is released.",
    }
    assert Matter.objects.filter(pk=matter.pk).exists()


def test_only_managers_delete_a_matter(api_as, editor, outsider, matter):
    assert api_as(editor).delete(f"/api/v1/matters/{matter.pk}/").status_code == 403
    assert api_as(outsider).delete(f"/api/v1/matters/{matter.pk}/").status_code == 404
    assert Matter.objects.filter(pk=matter.pk).exists()
