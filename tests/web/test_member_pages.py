"""A matter's members page: every member sees who else can see the matter (role, who added them,
when, when they last used it); managers add existing users, change roles and remove members
with confirmation. Refusals are said in words: an unknown user, a screened user, the last
manager. Every change is in the audit log with the role before and after."""

from __future__ import annotations

import pytest
from django.utils import dateformat, timezone

from docproc.models import Membership, Role, Screen
from docproc.services import audit
from tests.web.audit_records import denials, events, text

pytestmark = pytest.mark.django_db


def when(moment) -> str:
    return dateformat.format(timezone.localtime(moment), "j M Y H:i")


def test_a_member_sees_every_member_with_role_adder_and_last_access(
    signed_in, viewer, manager, matter
):
    added = Membership.objects.get(user=viewer)
    added.added_by = manager
    added.save()
    used = audit.record(manager, audit.Action.SEARCH, matter=matter, details={"query": "x"})

    response = signed_in(viewer).get(f"/matters/{matter.pk}/members/")

    page = text(response)
    manager_row = Membership.objects.get(user=manager)
    assert response.status_code == 200
    assert f"manager Manager — {when(manager_row.created_at)} {when(used.at)}" in page
    assert f"viewer Viewer manager {when(added.created_at)} Never" in page
    assert 'id="add-member-form"' not in response.content.decode()  # viewers only read it


def test_an_outsider_is_told_the_members_page_does_not_exist(signed_in, outsider, matter):
    response = signed_in(outsider).get(f"/matters/{matter.pk}/members/")

    assert response.status_code == 404
    assert denials() == [("outsider", "outside the user's matters", 404)]


def test_a_manager_adds_an_existing_user_with_a_role(signed_in, manager, matter, make_user):
    make_user("newcomer")

    response = signed_in(manager).post(
        f"/matters/{matter.pk}/members/", {"username": "newcomer", "role": "editor"}, follow=True
    )

    membership = Membership.objects.get(user__username="newcomer")
    assert (membership.role, membership.added_by) == (Role.EDITOR, manager)
    assert "Added newcomer to smith-v-jones as editor." in text(response)
    [event] = events("membership_change")
    assert (event.actor_name, event.details["change"], event.details["user"]) == (
        "manager",
        "added",
        "newcomer",
    )
    assert (event.details["previous_role"], event.details["role"]) == (None, "editor")


def test_an_unknown_user_is_refused_in_words_and_no_account_is_made(signed_in, manager, matter):
    response = signed_in(manager).post(
        f"/matters/{matter.pk}/members/", {"username": "ghost", "role": "viewer"}
    )

    assert response.status_code == 400
    assert "There is no active user 'ghost'." in text(response)
    assert not Membership.objects.filter(user__username="ghost").exists()
    assert events("membership_change") == []


def test_a_screened_user_cannot_be_added_and_the_attempt_is_audited(
    signed_in, manager, matter, make_user
):
    conflicted = make_user("conflicted")
    Screen.objects.create(matter=matter, user=conflicted, reason="Acted for the other side.")

    response = signed_in(manager).post(
        f"/matters/{matter.pk}/members/", {"username": "conflicted", "role": "viewer"}
    )

    assert response.status_code == 409
    assert "conflicted is screened from smith-v-jones (an ethical wall) and cannot be added." in (
        text(response)
    )
    assert not Membership.objects.filter(user=conflicted).exists()
    assert denials() == [("manager", "the user is screened from this matter", 409)]


def test_an_editor_cannot_add_members_and_the_refusal_is_audited(
    signed_in, editor, matter, make_user
):
    make_user("newcomer")

    response = signed_in(editor).post(
        f"/matters/{matter.pk}/members/", {"username": "newcomer", "role": "manager"}
    )

    assert response.status_code == 403
    assert "Only the matter's managers can add members." in text(response)
    assert not Membership.objects.filter(user__username="newcomer").exists()
    assert denials() == [("editor", "needs the manager role", 403)]


def test_a_manager_changes_a_role_and_the_change_is_audited(signed_in, manager, viewer, matter):
    response = signed_in(manager).post(
        f"/matters/{matter.pk}/members/role/", {"username": "viewer", "role": "editor"}, follow=True
    )

    assert Membership.objects.get(user=viewer).role == Role.EDITOR
    assert "viewer is now editor of smith-v-jones." in text(response)
    [event] = events("membership_change")
    assert (event.details["change"], event.details["previous_role"], event.details["role"]) == (
        "role changed",
        "viewer",
        "editor",
    )


def test_the_last_manager_cannot_be_demoted(signed_in, manager, matter):
    response = signed_in(manager).post(
        f"/matters/{matter.pk}/members/role/", {"username": "manager", "role": "viewer"}
    )

    assert response.status_code == 409
    assert "manager is the only manager of smith-v-jones; make someone else a manager first." in (
        text(response)
    )
    assert Membership.objects.get(user=manager).role == Role.MANAGER


def test_removing_asks_for_confirmation_first(signed_in, manager, viewer, matter):
    response = signed_in(manager).get(f"/matters/{matter.pk}/members/remove/?username=viewer")

    assert response.status_code == 200
    assert "Remove viewer from Smith v Jones?" in text(response)
    assert Membership.objects.filter(user=viewer).exists()


def test_a_manager_removes_a_member_with_a_reason(signed_in, manager, viewer, matter):
    response = signed_in(manager).post(
        f"/matters/{matter.pk}/members/remove/",
        {"username": "viewer", "reason": "Left the team."},
        follow=True,
    )

    assert not Membership.objects.filter(user=viewer).exists()
    assert "Removed viewer from smith-v-jones." in text(response)
    [event] = events("membership_change")
    assert (event.details["change"], event.details["previous_role"], event.details["reason"]) == (
        "removed",
        "viewer",
        "Left the team.",
    )
    assert signed_in(viewer).get(f"/matters/{matter.pk}/").status_code == 404


def test_the_last_manager_cannot_be_removed(signed_in, manager, matter):
    response = signed_in(manager).post(
        f"/matters/{matter.pk}/members/remove/", {"username": "manager", "reason": ""}
    )

    assert response.status_code == 409
    assert "manager is the only manager of smith-v-jones" in text(response)
    assert Membership.objects.filter(user=manager).exists()


def test_removing_someone_who_is_not_a_member_says_so(signed_in, manager, matter, make_user):
    make_user("stranger")

    response = signed_in(manager).post(
        f"/matters/{matter.pk}/members/remove/", {"username": "stranger", "reason": ""}
    )

    assert response.status_code == 404
    assert "stranger is not a member of smith-v-jones." in text(response)
