"""Changes made by management commands (the system actor ``system:<command>``) and by
administrators in the Django admin."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from docproc.models import Membership
from tests.audit.conftest import events, from_client, only

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_ingest_is_recorded_as_an_upload_by_the_system(tmp_path, matter):
    path = tmp_path / "note.txt"
    path.write_text("Payment is due in thirty days.\n")

    run("ingest", "--matter", "smith-v-jones", str(path))

    record = only("upload")
    assert (record.actor_id, record.actor_name, record.matter_slug) == (
        None, "system:ingest", "smith-v-jones",
    )  # fmt: skip
    assert (record.client_address, record.request_id) == ("", "")


def test_add_member_is_recorded_as_a_membership_change_by_the_system(matter):
    run("add_member", "--matter", "smith-v-jones", "--user", "nina", "--role", "viewer")
    run("add_member", "--matter", "smith-v-jones", "--user", "nina", "--role", "editor")

    added, changed = events("membership_change")
    nina = Membership.objects.get().user
    assert (added.actor_name, added.target_type, added.target_id) == (
        "system:add_member", "user", str(nina.pk),
    )  # fmt: skip
    assert added.details == {
        "change": "added",
        "user": "nina",
        "role": "viewer",
        "previous_role": None,
        "user_created": True,
    }
    assert changed.details == {
        "change": "role changed",
        "user": "nina",
        "role": "editor",
        "previous_role": "viewer",
        "user_created": False,
    }


def test_delete_document_command_is_recorded_as_deleted_by_the_system(make_document):
    document = make_document()

    run("delete_document", str(document.pk))

    assert only("delete").actor_name == "system:delete_document"


def test_a_membership_added_in_the_admin_is_recorded(superuser, matter, make_user):
    nina = make_user("nina")
    client = Client()
    client.force_login(superuser)

    response = client.post(
        "/admin/docproc/membership/add/",
        {"matter": matter.pk, "user": nina.pk, "role": "viewer"},
        **from_client(),
    )

    record = only("membership_change")
    assert response.status_code == 302
    assert (record.actor_name, record.matter_slug, record.target_id) == (
        "root", "smith-v-jones", str(nina.pk),
    )  # fmt: skip
    assert record.details == {
        "change": "added",
        "user": "nina",
        "role": "viewer",
        "previous_role": None,
        "via": "admin",
        "fields": [],
    }


def test_a_membership_removed_in_the_admin_is_recorded(superuser, viewer, matter):
    membership = Membership.objects.get(user=viewer)
    client = Client()
    client.force_login(superuser)

    client.post(f"/admin/docproc/membership/{membership.pk}/delete/", {"post": "yes"})

    record = only("membership_change")
    assert (record.details["change"], record.details["user"], record.details["role"]) == (
        "removed", "viewer", "viewer",
    )  # fmt: skip
    assert Membership.objects.filter(user=viewer).exists() is False


def test_a_role_changed_inline_on_the_matter_page_is_recorded(superuser, viewer, matter):
    membership = Membership.objects.get(user=viewer)
    client = Client()
    client.force_login(superuser)

    client.post(
        f"/admin/docproc/matter/{matter.pk}/change/",
        {
            "slug": matter.slug,
            "name": matter.name,
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": membership.pk,
            "memberships-0-matter": matter.pk,
            "memberships-0-user": viewer.pk,
            "memberships-0-role": "manager",
        },
    )

    record = only("membership_change")
    assert record.details == {
        "change": "changed",
        "user": "viewer",
        "role": "manager",
        "previous_role": "viewer",
        "via": "admin",
        "fields": ["role"],
    }
