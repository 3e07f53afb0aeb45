"""API tokens and the ``manage`` scope: ``manage.py create_api_token --user U --scopes
read,write,manage`` (no ``--matter``) makes a token that creates matters (when U holds
``docproc.add_matter``) and manages the members and holds of the matters U manages; a token
without the scope, or limited to matters, cannot create; a token never grants more than U's
role."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from docproc.models import LegalHold, Matter, Membership, Role
from tests.factories import rows

pytestmark = pytest.mark.django_db


def _command_token(username: str, scopes: str, *matters: str) -> APIClient:
    out = io.StringIO()
    args = ["--user", username, "--scopes", scopes]
    for slug in matters:
        args += ["--matter", slug]
    call_command("create_api_token", *args, stdout=out)
    issued = json.loads(out.getvalue())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued['token']}")
    return client


def test_a_manage_token_from_the_command_creates_a_matter_and_runs_it(creator, make_user):
    make_user("newbie")
    client = _command_token("carol", "read,write,manage")

    created = client.post(
        "/api/v1/matters/", {"slug": "doe-v-roe", "name": "Doe v Roe"}, format="json"
    )
    matter_id = created.json()["id"]
    added = client.post(
        f"/api/v1/matters/{matter_id}/members/",
        {"username": "newbie", "role": "editor"},
        format="json",
    )
    held = client.post(f"/api/v1/matters/{matter_id}/hold/", {"reason": "audit"}, format="json")
    closed = client.post(f"/api/v1/matters/{matter_id}/close/")

    assert (created.status_code, created.json()["role"]) == (201, "manager")
    assert (added.status_code, held.status_code, closed.status_code) == (201, 201, 200)
    matter = Matter.objects.get(pk=matter_id)
    assert Membership.objects.get(matter=matter, user__username="newbie").role == Role.EDITOR
    assert LegalHold.objects.get().placed_by == creator
    assert matter.status == "closed"


def test_without_the_manage_scope_nothing_is_managed(creator, manager, matter):
    creating = _command_token("carol", "read,write,ask,extract")
    managing = _command_token("manager", "read,write,ask,extract")

    answers = [
        creating.post("/api/v1/matters/", {"slug": "x", "name": "X"}, format="json"),
        managing.post(f"/api/v1/matters/{matter.pk}/hold/", {"reason": "r"}, format="json"),
        managing.patch(f"/api/v1/matters/{matter.pk}/", {"name": "Y"}, format="json"),
    ]

    for answer in answers:
        assert answer.status_code == 403
        assert answer.json() == {
            "code": "insufficient_scope",
            "detail": "This token lacks the 'manage' scope needed here (it has: read, write, "
            "ask, extract).",
        }
    assert not LegalHold.objects.exists()


def test_a_manage_token_does_not_give_the_permission_to_create(manager):
    client = _command_token("manager", "manage")

    response = client.post("/api/v1/matters/", {"slug": "x", "name": "X"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Matter.objects.filter(slug="x").exists()


def test_a_token_limited_to_matters_cannot_create_but_manages_its_matter(
    creator, matter, make_user
):
    rows.make_membership(matter, creator, Role.MANAGER)
    make_user("newbie")
    client = _command_token("carol", "read,manage", "smith-v-jones")

    created = client.post("/api/v1/matters/", {"slug": "x", "name": "X"}, format="json")
    added = client.post(
        f"/api/v1/matters/{matter.pk}/members/",
        {"username": "newbie", "role": "viewer"},
        format="json",
    )

    assert created.status_code == 403
    assert created.json() == {
        "code": "permission_denied",
        "detail": "A token limited to matters cannot create matters; use a token made without "
        "--matter (and with the manage scope).",
    }
    assert added.status_code == 201


def test_a_manage_token_gives_no_more_than_the_users_role(make_member, matter, other_matter):
    make_member("editor", "ed")
    client = _command_token("ed", "read,manage")

    in_own = client.post(f"/api/v1/matters/{matter.pk}/hold/", {"reason": "r"}, format="json")
    elsewhere = client.post(
        f"/api/v1/matters/{other_matter.pk}/hold/", {"reason": "r"}, format="json"
    )

    assert in_own.status_code == 403
    assert elsewhere.status_code == 404
    assert not LegalHold.objects.exists()


def test_a_compliance_token_must_not_be_limited_to_matters(compliance_officer, matter, viewer):
    rows.make_membership(matter, compliance_officer, Role.VIEWER)
    unlimited = _command_token("cora", "manage")
    limited = _command_token("cora", "manage", "smith-v-jones")
    url = f"/api/v1/matters/{matter.pk}/screens/"

    refused = limited.post(url, {"username": "viewer", "reason": "conflict"}, format="json")
    placed = unlimited.post(url, {"username": "viewer", "reason": "conflict"}, format="json")

    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert placed.status_code == 201
