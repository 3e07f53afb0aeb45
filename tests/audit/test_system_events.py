"""Changes made by management commands (the system actor ``system:<command>``) and by
administrators in the Django admin."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from docproc.models import Job, JobKind, Membership
from docproc.services import jobs
from tests.audit.conftest import REQUEST_ID, events, from_client, only
from tests.factories.files import make_text_pdf

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


def test_a_token_created_and_revoked_by_command_is_recorded_by_prefix_never_secret(viewer):
    created = run("create_api_token", "--user", "viewer", "--scopes", "read,ask", "--name", "ci")
    token = json.loads(created)
    run("revoke_api_token", token["prefix"])

    made, revoked = events("token_change")
    assert (made.actor_name, made.target_type, made.details) == (
        "system:create_api_token",
        "apitoken",
        {
            "change": "created",
            "prefix": token["prefix"],
            "user": "viewer",
            "name": "ci",
            "scopes": ["read", "ask"],
            "matters": [],
            "expires_at": None,
        },
    )
    assert (revoked.actor_name, revoked.details["change"]) == ("system:revoke_api_token", "revoked")
    assert token["token"] not in json.dumps([e.details for e in events()])


def test_a_token_created_on_the_tokens_page_is_recorded_as_done_by_its_user(viewer, matter):
    client = Client()
    client.force_login(viewer)

    client.post(
        "/tokens/", {"name": "laptop", "scopes": ["read"], "matters": [matter.pk]}, **from_client()
    )

    record = only("token_change")
    assert (record.actor_name, record.request_id, record.details["matters"]) == (
        "viewer", REQUEST_ID, ["smith-v-jones"],
    )  # fmt: skip


def test_a_summary_run_as_a_job_is_recorded_for_the_user_who_asked(
    index_document, make_member, settings, tiny_answer_server, monkeypatch
):
    settings.LLM_BASE_URL = tiny_answer_server.base_url
    settings.LLM_MODEL = tiny_answer_server.model
    settings.LLM_SUMMARY_TOKENS = 48
    monkeypatch.setattr(jobs, "enqueue_job", lambda job_id: None)
    matter, document = index_document("audit-jobs", "note.pdf", make_text_pdf(["Rent is due."]))
    viewer = make_member("viewer", "vera", in_matter=matter)
    job = jobs.submit(viewer, document, JobKind.SUMMARY, {"refresh": False})

    jobs.run(job.pk)

    record = only("summary")
    assert (record.actor_name, record.target_id, record.details["job"]) == (
        "vera", str(document.pk), str(job.pk),
    )  # fmt: skip
    assert (
        record.details["prompt_tokens"] + record.details["completion_tokens"]
        == (Job.objects.get(pk=job.pk).result["tokens"])
    )
