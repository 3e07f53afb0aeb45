"""``GET``/``POST matters/{id}/screens/`` and ``DELETE screens/{id}/``: compliance officers and
superusers manage ethical walls on any matter; a member without the permission gets 403, anyone
else 404, each refusal audited; the screened user then sees nothing of the matter."""

from __future__ import annotations

import pytest

from docproc.models import AuditEvent, Membership, Screen
from docproc.models.audit import Action
from docproc.services import screens
from tests.api.expected import iso

pytestmark = pytest.mark.django_db


def _screen_json(screen: Screen) -> dict:
    screen.refresh_from_db()
    return {
        "id": screen.pk,
        "matter": screen.matter_id,
        "username": screen.user.username,
        "reason": screen.reason,
        "created_by": screen.created_by.username if screen.created_by else None,
        "created_at": iso(screen.created_at),
        "active": screen.lifted_at is None,
        "lifted_by": screen.lifted_by.username if screen.lifted_by else None,
        "lifted_at": iso(screen.lifted_at),
        "lift_reason": screen.lift_reason,
    }


def test_a_compliance_officer_screens_a_member_who_then_sees_nothing(
    api_as, compliance_officer, editor, matter
):
    client = api_as(compliance_officer)
    url = f"/api/v1/matters/{matter.pk}/screens/"

    before = client.get(url)
    placed = client.post(
        url, {"username": "editor", "reason": "acted for the other side"}, format="json"
    )
    after = client.get(url)

    screen = Screen.objects.get()
    assert before.status_code == 200 and before.json() == {"screens": []}
    assert placed.status_code == 201
    assert placed.json() == _screen_json(screen)
    assert (placed.json()["username"], placed.json()["created_by"]) == ("editor", "cora")
    assert after.json() == {"screens": [_screen_json(screen)]}
    assert not Membership.objects.filter(user=editor).exists()
    assert api_as(editor).get(f"/api/v1/matters/{matter.pk}/").status_code == 404
    denial = AuditEvent.objects.filter(action=Action.ACCESS_DENIED).get()
    assert denial.details == {"reason": "screened from the matter", "status": 404}
    change = AuditEvent.objects.filter(action=Action.SCREEN_CHANGE).get()
    assert change.details["membership_removed"] == "editor"


def test_screening_twice_an_unknown_user_or_without_a_reason_is_refused(
    api_as, compliance_officer, viewer, matter
):
    client = api_as(compliance_officer)
    url = f"/api/v1/matters/{matter.pk}/screens/"
    client.post(url, {"username": "viewer", "reason": "conflict"}, format="json")

    twice = client.post(url, {"username": "viewer", "reason": "again"}, format="json")
    unknown = client.post(url, {"username": "ghost", "reason": "conflict"}, format="json")
    no_reason = client.post(url, {"username": "viewer"}, format="json")

    assert twice.status_code == 409
    assert twice.json() == {
        "code": "conflict",
        "detail": "viewer is already screened from smith-v-jones.",
    }
    assert unknown.status_code == 400
    assert unknown.json() == {
        "code": "invalid",
        "detail": "username: There is no user 'ghost'.",
        "errors": {"username": ["There is no user 'ghost'."]},
    }
    assert no_reason.status_code == 400
    assert no_reason.json() == {
        "code": "invalid",
        "detail": "reason: This field is required.",
        "errors": {"reason": ["This field is required."]},
    }
    assert Screen.objects.count() == 1


def test_lifting_a_screen_keeps_it_as_history(api_as, compliance_officer, viewer, matter):
    screen = screens.screen_user(compliance_officer, matter, "viewer", "conflict")
    client = api_as(compliance_officer)

    lifted = client.delete(
        f"/api/v1/screens/{screen.pk}/", {"reason": "matter ended"}, format="json"
    )
    again = client.delete(f"/api/v1/screens/{screen.pk}/", {"reason": "again"}, format="json")
    no_reason = client.delete(f"/api/v1/screens/{screen.pk}/")

    assert lifted.status_code == 200
    assert lifted.json() == _screen_json(screen)
    assert (lifted.json()["active"], lifted.json()["lift_reason"]) == (False, "matter ended")
    assert again.status_code == 409
    assert again.json() == {"code": "conflict", "detail": "This screen was already lifted."}
    assert no_reason.status_code == 400
    assert not Membership.objects.filter(user=viewer).exists()  # not restored


def test_a_superuser_manages_screens_without_being_a_member(api_as, make_user, viewer, matter):
    root = make_user("root", is_superuser=True, is_staff=True)

    response = api_as(root).post(
        f"/api/v1/matters/{matter.pk}/screens/",
        {"username": "viewer", "reason": "conflict"},
        format="json",
    )

    assert response.status_code == 201


def test_a_member_without_the_permission_gets_403_and_an_outsider_404(
    api_as, manager, outsider, compliance_officer, make_user, matter
):
    screened = make_user("screened")
    screen = screens.screen_user(compliance_officer, matter, "screened", "conflict")
    url = f"/api/v1/matters/{matter.pk}/screens/"
    body = {"username": "manager", "reason": "mine"}

    answers = [
        api_as(manager).get(url),
        api_as(manager).post(url, body, format="json"),
        api_as(manager).delete(f"/api/v1/screens/{screen.pk}/", {"reason": "x"}, format="json"),
        api_as(outsider).get(url),
        api_as(outsider).post(url, body, format="json"),
        api_as(outsider).delete(f"/api/v1/screens/{screen.pk}/", {"reason": "x"}, format="json"),
        api_as(screened).delete(f"/api/v1/screens/{screen.pk}/", {"reason": "x"}, format="json"),
    ]

    assert [a.status_code for a in answers] == [403, 403, 403, 404, 404, 404, 404]
    assert answers[0].json() == {
        "code": "permission_denied",
        "detail": "Screens are managed by administrators and compliance officers (the "
        "docproc.manage_screens permission).",
    }
    assert answers[3].json() == {"code": "not_found", "detail": "Matter not found."}
    assert (
        answers[5].json()
        == answers[6].json()
        == {
            "code": "not_found",
            "detail": "Screen not found.",
        }
    )
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED).order_by("seq")
    assert [(e.details["status"], e.details["reason"]) for e in denied] == [
        (403, "needs the docproc.manage_screens permission"),
        (403, "needs the docproc.manage_screens permission"),
        (403, "needs the docproc.manage_screens permission"),
        (404, "outside the user's matters"),
        (404, "outside the user's matters"),
        (404, "outside the user's matters"),
        (404, "outside the user's matters"),
    ]
    assert Screen.objects.get().lifted_at is None


def test_unknown_ids_are_404_for_compliance_too(api_as, compliance_officer):
    client = api_as(compliance_officer)

    matter = client.get("/api/v1/matters/999999/screens/")
    screen = client.delete("/api/v1/screens/999999/", {"reason": "x"}, format="json")

    assert matter.json() == {"code": "not_found", "detail": "Matter not found."}
    assert screen.json() == {"code": "not_found", "detail": "Screen not found."}
    assert matter.status_code == screen.status_code == 404
