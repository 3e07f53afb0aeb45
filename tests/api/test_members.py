"""``GET``/``POST matters/{id}/members/`` and ``PATCH``/``DELETE matters/{id}/members/{username}/``:
exact bodies, the refusals (screened, last manager, unknown user, not a member) and the audit
trail with the role before and after."""

from __future__ import annotations

import pytest

from docproc.models import AuditEvent, Membership, Role
from docproc.models.audit import Action
from docproc.services import audit, screens
from tests.api.expected import iso

pytestmark = pytest.mark.django_db


def _url(matter, username: str | None = None) -> str:
    base = f"/api/v1/matters/{matter.pk}/members/"
    return f"{base}{username}/" if username else base


def _row(matter, username: str, added_by: str | None, last_access=None) -> dict:
    membership = Membership.objects.select_related("user").get(
        matter=matter, user__username=username
    )
    return {
        "username": username,
        "full_name": membership.user.get_full_name(),
        "role": membership.role,
        "added_by": added_by,
        "added_at": iso(membership.created_at),
        "last_access": iso(last_access),
    }


def _membership_changes() -> list[dict]:
    events = AuditEvent.objects.filter(action=Action.MEMBERSHIP_CHANGE).order_by("seq")
    return [{k: e.details[k] for k in ("change", "user", "role", "previous_role")} for e in events]


def test_any_member_sees_the_list_managers_first_with_last_access(api_as, manager, viewer, matter):
    used = audit.record(manager, audit.Action.VIEW_DOCUMENT, matter=matter)

    response = api_as(viewer).get(_url(matter))

    assert response.status_code == 200
    assert response.json() == {
        "members": [
            _row(matter, "manager", None, last_access=used.at),
            _row(matter, "viewer", None),
        ]
    }


def test_a_manager_adds_an_existing_user(api_as, manager, matter, make_user):
    make_user("newbie")

    response = api_as(manager).post(
        _url(matter), {"username": "newbie", "role": "editor"}, format="json"
    )

    assert response.status_code == 201
    assert response.json() == _row(matter, "newbie", "manager")
    assert response.json()["role"] == "editor"
    assert _membership_changes() == [
        {"change": "added", "user": "newbie", "role": "editor", "previous_role": None}
    ]


def test_adding_an_existing_member_again_sets_their_role(api_as, manager, viewer, matter):
    response = api_as(manager).post(
        _url(matter), {"username": "viewer", "role": "editor"}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == _row(matter, "viewer", None)
    assert response.json()["role"] == "editor"
    assert _membership_changes() == [
        {"change": "role changed", "user": "viewer", "role": "editor", "previous_role": "viewer"}
    ]


def test_only_existing_active_users_can_be_added(api_as, manager, matter):
    response = api_as(manager).post(
        _url(matter), {"username": "ghost", "role": "viewer"}, format="json"
    )

    message = (
        "There is no active user 'ghost'. They must have an account (or have signed in once "
        "through the directory) before they can be added."
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": f"username: {message}",
        "errors": {"username": [message]},
    }
    assert not Membership.objects.filter(user__username="ghost").exists()


def test_an_unknown_role_is_400(api_as, manager, matter):
    response = api_as(manager).post(
        _url(matter), {"username": "manager", "role": "owner"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": 'role: "owner" is not a valid choice.',
        "errors": {"role": ['"owner" is not a valid choice.']},
    }


def test_a_screened_user_cannot_be_added_and_the_attempt_is_audited(
    api_as, manager, matter, make_user
):
    conflicted = make_user("conflicted")
    screen = screens.screen_user(None, matter, "conflicted", "acted for the other side")

    response = api_as(manager).post(
        _url(matter), {"username": "conflicted", "role": "viewer"}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "code": "screened",
        "detail": "conflicted is screened from smith-v-jones (an ethical wall) and cannot be "
        "added. Only a compliance officer can lift the screen.",
    }
    assert not Membership.objects.filter(user=conflicted).exists()
    denial = AuditEvent.objects.get(action=Action.ACCESS_DENIED)
    assert (denial.actor, denial.matter, denial.details) == (
        manager,
        matter,
        {"reason": "the user is screened from this matter", "status": 409, "screen": screen.pk},
    )


def test_a_manager_changes_a_role(api_as, manager, viewer, matter):
    response = api_as(manager).patch(_url(matter, "viewer"), {"role": "manager"}, format="json")

    assert response.status_code == 200
    assert response.json() == _row(matter, "viewer", None)
    assert response.json()["role"] == "manager"


def test_a_deactivated_member_can_still_be_demoted(api_as, manager, editor, matter):
    editor.is_active = False
    editor.save()

    response = api_as(manager).patch(_url(matter, "editor"), {"role": "viewer"}, format="json")

    assert response.status_code == 200
    assert Membership.objects.get(matter=matter, user=editor).role == Role.VIEWER


def test_the_last_manager_cannot_be_demoted_or_removed(api_as, manager, matter):
    demoted = api_as(manager).patch(_url(matter, "manager"), {"role": "viewer"}, format="json")
    removed = api_as(manager).delete(_url(matter, "manager"))

    detail = "manager is the only manager of smith-v-jones; make someone else a manager first."
    for response in (demoted, removed):
        assert response.status_code == 409
        assert response.json() == {"code": "last_manager", "detail": detail}
    assert Membership.objects.get(user=manager).role == Role.MANAGER


def test_a_manager_removes_a_member_with_a_reason(api_as, manager, viewer, matter):
    response = api_as(manager).delete(
        _url(matter, "viewer"), {"reason": "left the team"}, format="json"
    )

    assert response.status_code == 204
    assert response.content == b""
    assert not Membership.objects.filter(user=viewer).exists()
    event = AuditEvent.objects.get(action=Action.MEMBERSHIP_CHANGE)
    assert event.details == {
        "change": "removed",
        "user": "viewer",
        "role": "viewer",
        "previous_role": "viewer",
        "reason": "left the team",
    }


def test_changing_or_removing_someone_who_is_not_a_member_is_404(api_as, manager, matter):
    changed = api_as(manager).patch(_url(matter, "nobody"), {"role": "viewer"}, format="json")
    removed = api_as(manager).delete(_url(matter, "nobody"))

    for response in (changed, removed):
        assert response.status_code == 404
        assert response.json() == {
            "code": "not_found",
            "detail": "nobody is not a member of smith-v-jones.",
        }


def test_members_below_manager_get_403_and_outsiders_404(
    api_as, editor, outsider, matter, make_user
):
    make_user("newbie")
    body = {"username": "newbie", "role": "viewer"}

    as_editor = api_as(editor).post(_url(matter), body, format="json")
    as_outsider = api_as(outsider).post(_url(matter), body, format="json")
    listed = api_as(outsider).get(_url(matter))
    removed = api_as(editor).delete(_url(matter, "editor"))

    assert as_editor.status_code == 403
    assert as_editor.json() == {
        "code": "permission_denied",
        "detail": "Your role in this matter (editor) does not allow this; manager or higher is "
        "needed.",
    }
    assert removed.status_code == 403
    for response in (as_outsider, listed):
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "Matter not found."}
    statuses = [e.details["status"] for e in AuditEvent.objects.filter(action=Action.ACCESS_DENIED)]
    assert sorted(statuses) == [403, 403, 404, 404]
    assert not Membership.objects.filter(user__username="newbie").exists()
