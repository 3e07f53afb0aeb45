"""``POST``/``DELETE matters/{id}/hold/`` and ``documents/{id}/hold/``, and ``DELETE
documents/{id}/``: a hold blocks deletion (409 ``legal_hold``, saying who, when and why) until
released; placing and releasing are the managers' and audited."""

from __future__ import annotations

import pytest

from docproc.models import AuditEvent, Document, LegalHold
from docproc.models.audit import Action
from tests.api.expected import iso

pytestmark = pytest.mark.django_db


def _hold_json(hold: LegalHold) -> dict:
    hold.refresh_from_db()
    return {
        "id": hold.pk,
        "on": "document" if hold.document_id else "matter",
        "matter": hold.matter_id,
        "document": hold.document_id,
        "reason": hold.reason,
        "placed_by": hold.placed_by.username if hold.placed_by else None,
        "placed_at": iso(hold.placed_at),
        "active": hold.released_at is None,
        "released_by": hold.released_by.username if hold.released_by else None,
        "released_at": iso(hold.released_at),
        "release_reason": hold.release_reason,
    }


def _hold_changes() -> list[tuple[str, str, str]]:
    events = AuditEvent.objects.filter(action=Action.HOLD_CHANGE).order_by("seq")
    return [(e.details["change"], e.details["on"], e.details["reason"]) for e in events]


def test_a_manager_holds_a_matter_and_nothing_in_it_can_be_deleted(
    api_as, manager, matter, make_document
):
    document = make_document()
    client = api_as(manager)

    placed = client.post(
        f"/api/v1/matters/{matter.pk}/hold/", {"reason": "Case 24-001 pending"}, format="json"
    )
    deleted = client.delete(f"/api/v1/documents/{document.pk}/")

    hold = LegalHold.objects.get()
    assert placed.status_code == 201
    assert placed.json() == _hold_json(hold)
    assert placed.json()["on"] == "matter" and placed.json()["placed_by"] == "manager"
    assert deleted.status_code == 409
    assert deleted.json() == {
        "code": "legal_hold",
        "detail": f"Matter smith-v-jones is under a legal hold placed by manager on "
        f"{hold.placed_at:%Y-%m-%d} (Case 24-001 pending). Nothing it covers can be deleted "
        "or purged until the hold is released.",
    }
    assert Document.objects.filter(pk=document.pk).exists()
    assert client.get(f"/api/v1/matters/{matter.pk}/").json()["on_hold"] is True
    assert client.get(f"/api/v1/documents/{document.pk}/").status_code == 200  # still readable


def test_a_second_hold_on_a_held_matter_is_409(api_as, manager, matter):
    client = api_as(manager)
    client.post(f"/api/v1/matters/{matter.pk}/hold/", {"reason": "one"}, format="json")

    again = client.post(f"/api/v1/matters/{matter.pk}/hold/", {"reason": "two"}, format="json")

    assert again.status_code == 409
    assert again.json() == {
        "code": "conflict",
        "detail": "The matter smith-v-jones is already under a legal hold.",
    }


def test_releasing_the_hold_lets_the_deletion_through_with_its_receipt(
    api_as, manager, matter, make_document
):
    document = make_document()
    client = api_as(manager)
    client.post(f"/api/v1/matters/{matter.pk}/hold/", {"reason": "pending"}, format="json")

    released = client.delete(
        f"/api/v1/matters/{matter.pk}/hold/", {"reason": "settled"}, format="json"
    )
    deleted = client.delete(f"/api/v1/documents/{document.pk}/")

    hold = LegalHold.objects.get()
    assert released.status_code == 200
    assert released.json() == _hold_json(hold)
    assert released.json()["active"] is False
    assert (released.json()["released_by"], released.json()["release_reason"]) == (
        "manager",
        "settled",
    )
    assert deleted.status_code == 200
    assert deleted.json()["document"] == document.pk
    assert deleted.json()["deleted_by"] == "manager"
    assert _hold_changes() == [("placed", "matter", "pending"), ("released", "matter", "settled")]


def test_releasing_when_there_is_no_hold_is_404(api_as, manager, matter, make_document):
    document = make_document("memo.pdf")

    on_matter = api_as(manager).delete(f"/api/v1/matters/{matter.pk}/hold/")
    on_document = api_as(manager).delete(f"/api/v1/documents/{document.pk}/hold/")

    assert on_matter.status_code == on_document.status_code == 404
    assert on_matter.json() == {
        "code": "not_found",
        "detail": "The matter smith-v-jones is not under a legal hold.",
    }
    assert on_document.json() == {
        "code": "not_found",
        "detail": "The document memo.pdf is not under a legal hold.",
    }


def test_a_hold_on_one_document_blocks_only_that_document(api_as, manager, make_document):
    held = make_document("held.pdf")
    free = make_document("free.pdf")
    client = api_as(manager)

    placed = client.post(
        f"/api/v1/documents/{held.pk}/hold/", {"reason": "subpoena"}, format="json"
    )
    refused = client.delete(f"/api/v1/documents/{held.pk}/")
    allowed = client.delete(f"/api/v1/documents/{free.pk}/")

    hold = LegalHold.objects.get()
    assert placed.status_code == 201
    assert placed.json() == _hold_json(hold)
    assert (placed.json()["on"], placed.json()["document"]) == ("document", held.pk)
    assert refused.status_code == 409
    assert refused.json() == {
        "code": "legal_hold",
        "detail": f"Document held.pdf is under a legal hold placed by manager on "
        f"{hold.placed_at:%Y-%m-%d} (subpoena). Nothing it covers can be deleted or purged "
        "until the hold is released.",
    }
    assert allowed.status_code == 200

    released = client.delete(f"/api/v1/documents/{held.pk}/hold/")

    assert released.status_code == 200
    assert released.json() == _hold_json(hold)
    assert client.delete(f"/api/v1/documents/{held.pk}/").status_code == 200
    assert _hold_changes() == [("placed", "document", "subpoena"), ("released", "document", "")]


def test_a_hold_needs_a_reason(api_as, manager, matter):
    missing = api_as(manager).post(f"/api/v1/matters/{matter.pk}/hold/", {}, format="json")
    blank = api_as(manager).post(
        f"/api/v1/matters/{matter.pk}/hold/", {"reason": "  "}, format="json"
    )

    assert missing.status_code == blank.status_code == 400
    assert missing.json() == {
        "code": "invalid",
        "detail": "reason: This field is required.",
        "errors": {"reason": ["This field is required."]},
    }
    assert blank.json() == {
        "code": "invalid",
        "detail": "reason: This field may not be blank.",
        "errors": {"reason": ["This field may not be blank."]},
    }
    assert not LegalHold.objects.exists()


def test_editors_may_not_hold_and_outsiders_are_told_nothing(
    api_as, editor, outsider, matter, make_document
):
    document = make_document()
    body = {"reason": "mine"}

    statuses = [
        api_as(editor).post(f"/api/v1/matters/{matter.pk}/hold/", body, format="json"),
        api_as(editor).post(f"/api/v1/documents/{document.pk}/hold/", body, format="json"),
        api_as(outsider).post(f"/api/v1/matters/{matter.pk}/hold/", body, format="json"),
        api_as(outsider).delete(f"/api/v1/documents/{document.pk}/hold/"),
    ]

    assert [r.status_code for r in statuses] == [403, 403, 404, 404]
    assert statuses[3].json() == {"code": "not_found", "detail": "Document not found."}
    assert not LegalHold.objects.exists()
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED).order_by("seq")
    assert [e.details["status"] for e in denied] == [403, 403, 404, 404]


def test_a_viewer_may_not_delete_a_document(api_as, viewer, make_document):
    document = make_document()

    response = api_as(viewer).delete(f"/api/v1/documents/{document.pk}/")

    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "detail": "Your role in this matter (viewer) does not allow this; editor or higher is "
        "needed.",
    }
