"""Sign-in through a real OpenLDAP directory on the sign-in page: directory users sign in and
get the docproc groups their directory groups map to, wrong passwords are refused and audited,
local accounts keep working (also while the directory is down) and are never taken over by a
directory entry of the same name, and a directory that is down is said in words."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from docproc.models import AuditEvent
from docproc.models.audit import Action
from docproc.web.sign_in import DIRECTORY_DOWN_MESSAGE
from tests.api.conftest import PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "Please enter a correct username and password"


def sign_in(username: str, password: str) -> tuple[Client, object]:
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    return client, response


def test_a_directory_user_signs_in_and_gets_the_mapped_group(sign_in_with_directory):
    client, response = sign_in("alice", "alice-directory-pw")

    assert response.status_code == 302
    assert response["Location"] == "/"
    alice = User.objects.get(username="alice")
    assert (alice.first_name, alice.last_name, alice.email) == (
        "Alice",
        "Archer",
        "alice@example.org",
    )
    assert not alice.has_usable_password()  # the directory holds the password, docproc none
    assert [g.name for g in alice.groups.all()] == ["Matter creators"]
    assert alice.has_perm("docproc.add_matter")
    assert client.get("/").status_code == 200
    signed_in = AuditEvent.objects.filter(action=Action.SIGN_IN).last()
    assert signed_in.actor_name == "alice"
    change = AuditEvent.objects.filter(action=Action.MEMBERSHIP_CHANGE).last()
    assert change.details == {
        "groups_added": ["Matter creators"],
        "groups_removed": [],
        "source": "ldap",
    }


def test_a_group_dn_in_the_map_matches_whatever_its_case(sign_in_with_directory):
    _, response = sign_in("bob", "bob-directory-pw")

    assert response.status_code == 302
    bob = User.objects.get(username="bob")
    assert [g.name for g in bob.groups.all()] == ["Compliance officers"]
    assert bob.has_perm("docproc.manage_screens")
    assert not bob.has_perm("docproc.add_matter")


def test_a_mapped_group_no_longer_held_in_the_directory_is_taken_away(sign_in_with_directory):
    carol = User.objects.create(username="carol")
    carol.set_unusable_password()
    carol.save()
    carol.groups.add(Group.objects.get(name="Matter creators"))
    hand_made = Group.objects.create(name="Reading room")
    carol.groups.add(hand_made)

    _, response = sign_in("carol", "carol-directory-pw")

    assert response.status_code == 302
    assert sorted(g.name for g in carol.groups.all()) == ["Reading room"]  # unmapped: kept
    assert not User.objects.get(pk=carol.pk).has_perm("docproc.add_matter")


def test_a_wrong_directory_password_is_refused_and_audited(sign_in_with_directory):
    client, response = sign_in("bob", "not-bobs-password")

    assert response.status_code == 200
    assert WRONG in response.content.decode()
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).last()
    assert failed.details["username"] == "bob"
    assert failed.details["method"] == "password"
    assert "reason" not in failed.details
    assert not User.objects.filter(username="bob").exists()


def test_a_local_account_is_never_taken_over_by_a_directory_entry(
    sign_in_with_directory, make_user
):
    make_user("alice", is_superuser=True)  # a local break-glass account named like a directory user

    _, with_directory_password = sign_in("alice", "alice-directory-pw")
    _, with_local_password = sign_in("alice", PASSWORD)

    assert with_directory_password.status_code == 200
    assert WRONG in with_directory_password.content.decode()
    assert with_local_password.status_code == 302
    assert not User.objects.get(username="alice").groups.exists()


def test_local_accounts_sign_in_while_the_directory_is_down_and_directory_users_are_told(
    sign_in_with_directory, make_user
):
    make_user("breakglass", is_superuser=True, is_staff=True)
    sign_in_with_directory.stop()
    try:
        admin_client, admin = sign_in("breakglass", PASSWORD)
        _, alice = sign_in("alice", "alice-directory-pw")
    finally:
        sign_in_with_directory.start()

    assert admin.status_code == 302
    assert admin_client.get("/admin/").status_code == 200
    assert alice.status_code == 503
    assert DIRECTORY_DOWN_MESSAGE in alice.content.decode()
    failed = AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).last()
    assert failed.details["username"] == "alice"
    assert failed.details["reason"] == "directory_unavailable"


def test_the_directory_is_asked_again_once_it_is_back(sign_in_with_directory):
    sign_in_with_directory.stop()
    try:
        _, while_down = sign_in("alice", "alice-directory-pw")
    finally:
        sign_in_with_directory.start()

    _, response = sign_in("alice", "alice-directory-pw")

    assert while_down.status_code == 503  # the failure while down does not stick
    assert response.status_code == 302
