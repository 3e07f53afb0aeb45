"""The access-review pages (``/compliance/access/``, ``/compliance/access.csv``) and the
retention forecast (``/compliance/retention/``): compliance officers and superusers only,
others refused (403, audited), the CSV exact, and every view and download recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from docproc.models import AuditEvent, Matter, Membership, PracticeArea, Role
from docproc.models.audit import Action
from docproc.services import audit, memberships, retention
from docproc.services import screens as screen_service
from tests.factories import rows as factory

pytestmark = pytest.mark.django_db

PAGES = ["/compliance/access/", "/compliance/access.csv", "/compliance/retention/"]


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def officer(db):
    user = factory.make_user("olivia")
    user.groups.add(Group.objects.get(name="Compliance officers"))
    return user


@pytest.fixture
def firm(officer):
    smith = factory.make_matter("smith-v-jones", "Smith v Jones")
    alice = factory.make_user("alice")
    factory.make_user("bob")
    factory.make_user("mallory")
    memberships.add_member(smith, "alice", Role.MANAGER, officer)
    memberships.add_member(smith, "bob", Role.VIEWER, alice)
    screen_service.screen_user(officer, smith, "mallory", "acted for Jones")
    return smith


def _when(matter: Matter, username: str) -> str:
    added = Membership.objects.get(matter=matter, user__username=username).created_at
    return added.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("page", PAGES)
def test_a_member_without_the_permission_is_refused_and_the_refusal_audited(firm, page):
    alice = Membership.objects.get(matter=firm, role=Role.MANAGER).user

    response = client_as(alice).get(page)

    assert response.status_code == 403
    denial = AuditEvent.objects.filter(action=Action.ACCESS_DENIED).latest("seq")
    assert (denial.actor_name, denial.target_type, denial.target_id) == ("alice", "page", page)
    assert denial.details == {
        "reason": "needs the docproc.review_access permission",
        "status": 403,
    }
    assert not AuditEvent.objects.filter(action=Action.ACCESS_REVIEW).exists()


@pytest.mark.parametrize("page", PAGES)
def test_an_anonymous_visitor_is_sent_to_sign_in(page):
    response = Client().get(page)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={page}"


@pytest.mark.parametrize("page", PAGES)
def test_compliance_officers_and_superusers_may_open_the_pages(firm, officer, page):
    root = factory.make_user("root", is_superuser=True)

    assert client_as(officer).get(page).status_code == 200
    assert client_as(root).get(page).status_code == 200


def test_the_page_lists_who_can_access_what_and_records_the_review(firm, officer):
    audit.record(
        Membership.objects.get(matter=firm, user__username="bob").user,
        Action.SEARCH,
        matter=firm,
        details={"query": "notice"},
    )

    response = client_as(officer).get("/compliance/access/", {"matter": "smith-v-jones"})

    assert response.status_code == 200
    found = [(r.username, r.access, r.role) for r in response.context["page"].object_list]
    assert found == [("alice", "member", "manager"), ("bob", "member", "viewer"),
                     ("mallory", "screened", "")]  # fmt: skip
    assert response.context["page"].object_list[1].last_access is not None
    body = response.content.decode()
    assert (
        "acted for Jones" in body and 'href="/compliance/access.csv?matter=smith-v-jones"' in body
    )
    event = AuditEvent.objects.filter(action=Action.ACCESS_REVIEW).get()
    assert (event.actor_name, event.matter_id, event.details) == (
        "olivia", None, {"output": "page", "filters": {"matter": "smith-v-jones"}, "rows": 3},
    )  # fmt: skip


def test_the_csv_download_is_exact_and_recorded_before_it_is_sent(firm, officer):
    factory.make_user("=HYPERLINK(evil)")
    memberships.add_member(firm, "=HYPERLINK(evil)", Role.EDITOR, officer)

    response = client_as(officer).get("/compliance/access.csv", {"matter": "smith-v-jones"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="access-review-')
    assert (response["X-Access-Review-Rows"], response["Cache-Control"]) == ("4", "no-store")
    # Recorded when the response was made, before any row was read from it.
    event = AuditEvent.objects.filter(action=Action.ACCESS_REVIEW).get()
    assert event.details == {"output": "csv", "filters": {"matter": "smith-v-jones"}, "rows": 4}
    screened_at = firm.screens.get().created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = b"".join(response.streaming_content).decode()
    assert text == (
        "matter,matter_name,matter_status,user,full_name,access,role,superuser,added_by,"
        "added_at,last_access,note\r\n"
        f"smith-v-jones,Smith v Jones,open,alice,,member,manager,no,olivia,"
        f"{_when(firm, 'alice')},{_when_used(firm, 'alice')},\r\n"
        f"smith-v-jones,Smith v Jones,open,'=HYPERLINK(evil),,member,editor,no,olivia,"
        f"{_when(firm, '=HYPERLINK(evil)')},,\r\n"
        f"smith-v-jones,Smith v Jones,open,bob,,member,viewer,no,alice,{_when(firm, 'bob')},,\r\n"
        f"smith-v-jones,Smith v Jones,open,mallory,,screened,,no,olivia,{screened_at},,"
        "acted for Jones\r\n"
    )


def _when_used(matter: Matter, username: str) -> str:
    """When ``username`` last acted in ``matter`` (alice: adding bob)."""
    last = AuditEvent.objects.filter(matter=matter, actor_name=username).latest("seq")
    return last.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_retention_page_lists_what_the_purge_will_remove_in_30_days(firm, officer):
    area = PracticeArea.objects.create(slug="lit", name="Litigation", default_retention_years=3)
    closing = factory.make_matter("closing-soon", "Closing soon")
    Matter.objects.filter(pk=closing.pk).update(
        status="closed",
        closed_at=timezone.now() - timedelta(days=3 * 365 - 5),
        practice_area=area,
    )
    factory.make_document(closing, "a.pdf")
    factory.make_document(closing, "b.pdf")

    response = client_as(officer).get("/compliance/retention/")

    assert response.status_code == 200
    assert [(d.slug, d.documents, d.retention_years) for d in response.context["due"]] == [
        ("closing-soon", 2, 3)
    ]
    body = response.content.decode()
    assert "1 matter, 2 documents to purge." in body and "Litigation" in body
    assert "a.pdf" not in body  # names of matters, never of documents


def test_writes_are_not_offered(firm, officer):
    for page in PAGES:
        assert client_as(officer).post(page).status_code == 405


def test_the_retention_page_says_what_the_last_scheduled_purge_did(firm, officer):
    cache.delete(retention.LAST_RUN_KEY)
    assert "The scheduled purge has not run yet." in _retention_page(officer)

    at = datetime(2031, 5, 2, 3, 0, tzinfo=UTC)
    report = retention.PurgeReport(
        at=at,
        matters=(
            retention.MatterPurge(1, "old-lease", purged=3),
            retention.MatterPurge(2, "old-audit", purged=1),
        ),
    )
    retention.record_run(report, [], 30)

    assert "Last scheduled purge: 2031-05-02 03:00 (UTC),\n4 documents purged from 2 matters." in (
        _retention_page(officer)
    )
    cache.delete(retention.LAST_RUN_KEY)


def _retention_page(user) -> str:
    response = client_as(user).get("/compliance/retention/")
    assert response.status_code == 200
    return response.content.decode()
