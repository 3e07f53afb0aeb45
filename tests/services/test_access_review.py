"""The access review (``services.access_review``): who can access which matter, when they last
did (from the audit log), screens and break-glass superusers, stale members, the CSV, and a
constant number of queries whatever the size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from docproc.models import AuditEvent, Matter, Membership, PracticeArea, Role
from docproc.models.audit import Action
from docproc.services import access_csv, audit, holds, memberships, retention_forecast
from docproc.services import screens as screen_service
from docproc.services.access_review import (
    BREAK_GLASS_NOTE,
    Access,
    ReviewFilter,
    last_accesses,
    review,
    stale_members,
)
from tests.factories import rows as factory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(db):
    return factory.make_user("olivia", first_name="Olivia", last_name="Officer")


@pytest.fixture
def firm(officer):
    """Two matters: alice manages both, bob views smith, carol edits acme."""
    smith = factory.make_matter("smith-v-jones", "Smith v Jones")
    acme = factory.make_matter("acme-audit", "Acme audit")
    alice = factory.make_user("alice", first_name="Alice", last_name="Able")
    bob = factory.make_user("bob")
    carol = factory.make_user("carol")
    memberships.add_member(smith, "alice", Role.MANAGER, officer)
    memberships.add_member(smith, "bob", Role.VIEWER, alice)
    memberships.add_member(acme, "alice", Role.MANAGER, officer)
    memberships.add_member(acme, "carol", Role.EDITOR, alice)
    return {"smith": smith, "acme": acme, "alice": alice, "bob": bob, "carol": carol}


def _view(rows):
    return [(r.matter, r.username, r.access, r.role, r.added_by, r.last_access) for r in rows]


def test_members_are_listed_with_role_who_added_them_and_their_last_access(firm, officer):
    smith, acme, alice, bob = firm["smith"], firm["acme"], firm["alice"], firm["bob"]
    audit.record(alice, Action.SEARCH, matter=smith, details={"query": "notice"})
    latest = audit.record(alice, Action.ASK, matter=smith, details={"question": "who?"})
    in_acme = audit.record(alice, Action.SEARCH, matter=acme, details={"query": "audit"})
    # A denial is not an access, and neither is an action outside the matter.
    audit.denied(bob, reason="needs the editor role", status=403, matter=smith)
    audit.record(bob, Action.SEARCH, matter=acme, details={"query": "peek"})

    found = review()

    assert _view(found) == [
        ("acme-audit", "alice", Access.MEMBER, Role.MANAGER, "olivia", in_acme.at),
        ("acme-audit", "carol", Access.MEMBER, Role.EDITOR, "alice", None),
        ("smith-v-jones", "alice", Access.MEMBER, Role.MANAGER, "olivia", latest.at),
        ("smith-v-jones", "bob", Access.MEMBER, Role.VIEWER, "alice", None),
    ]
    row = found[2]
    added = Membership.objects.get(matter=smith, user=alice).created_at
    assert (row.matter_name, row.matter_status, row.full_name, row.added_at) == (
        "Smith v Jones", "open", "Alice Able", added,
    )  # fmt: skip
    # The same last access as the matter's member list shows.
    listed = {m.username: m.last_access for m in memberships.members(smith)}
    assert listed == {r.username: r.last_access for r in found if r.matter == "smith-v-jones"}


def test_screens_in_force_are_listed_with_who_placed_them_and_why(firm, officer):
    smith, carol = firm["smith"], firm["carol"]
    audit.record(firm["bob"], Action.SEARCH, matter=smith, details={"query": "before"})
    screen_service.screen_user(officer, smith, "bob", "acted for Jones")
    lifted = screen_service.screen_user(officer, smith, "carol", "a passing conflict")
    screen_service.lift_screen(officer, lifted, "conflict cleared")

    found = review(ReviewFilter(matter="smith-v-jones"))

    assert [(r.username, r.access, r.role, r.added_by, r.note) for r in found] == [
        ("alice", Access.MEMBER, Role.MANAGER, "olivia", ""),
        ("bob", Access.SCREENED, "", "olivia", "acted for Jones"),
    ]
    assert not found[1].can_access and found[1].last_access is not None
    assert carol.pk not in {r.user_id for r in found}


def test_superusers_are_listed_as_break_glass_unless_they_are_members(firm):
    root = factory.make_user("root", is_superuser=True, is_staff=True)
    factory.make_user("retired-root", is_superuser=True, is_active=False)
    memberships.add_member(firm["acme"], "root", Role.VIEWER, firm["alice"])
    seen = audit.record(root, Action.VIEW_DOCUMENT, matter=firm["smith"], target=("doc", 1))

    found = review(ReviewFilter(user="root"))

    assert [(r.matter, r.access, r.role, r.superuser, r.note, r.last_access) for r in found] == [
        ("acme-audit", Access.MEMBER, Role.VIEWER, True, "", None),
        ("smith-v-jones", Access.BREAK_GLASS, "", True, BREAK_GLASS_NOTE, seen.at),
    ]
    assert [r.username for r in review(break_glass=False)] == ["alice", "carol", "root"] + [
        "alice",
        "bob",
    ]


def test_filters_narrow_to_a_matter_a_user_or_both(firm):
    assert [(r.matter, r.username) for r in review(ReviewFilter(user="alice"))] == [
        ("acme-audit", "alice"),
        ("smith-v-jones", "alice"),
    ]
    assert [r.username for r in review(ReviewFilter(matter="acme-audit"))] == ["alice", "carol"]
    assert [r.username for r in review(ReviewFilter("acme-audit", "bob"))] == []
    assert review(ReviewFilter(matter="no-such-matter")) == []


def test_stale_members_are_those_idle_for_n_days_never_used_counting_from_when_added(firm):
    smith, acme = firm["smith"], firm["acme"]
    now = timezone.now()
    Membership.objects.filter(matter=smith, user=firm["alice"]).update(
        created_at=now - timedelta(days=200)
    )
    Membership.objects.filter(matter=smith, user=firm["bob"]).update(
        created_at=now - timedelta(days=100)
    )
    Membership.objects.filter(matter=acme).update(created_at=now - timedelta(days=10))
    used = audit.record(firm["alice"], Action.SEARCH, matter=smith, details={"query": "q"})

    today = stale_members(90, now=now)
    later = stale_members(90, now=used.at + timedelta(days=91))

    assert [(s.row.matter, s.row.username, s.idle_days) for s in today] == [
        ("smith-v-jones", "bob", 100)
    ]
    assert today[0].idle_since == today[0].row.added_at
    # Adding carol to acme was alice's last use of acme (a manager's work is access too).
    added_carol = AuditEvent.objects.get(
        action=Action.MEMBERSHIP_CHANGE, matter=acme, actor_name="alice"
    )
    assert [(s.row.matter, s.row.username, s.idle_days, s.idle_since) for s in later] == [
        ("acme-audit", "alice", 91, added_carol.at),
        ("acme-audit", "carol", 101, later[1].row.added_at),
        ("smith-v-jones", "alice", 91, used.at),
        ("smith-v-jones", "bob", 191, later[3].row.added_at),
    ]
    assert [s.row.username for s in stale_members(90, ReviewFilter(user="bob"), now=now)] == ["bob"]
    with pytest.raises(ValueError):
        stale_members(-1)


def _many_matters(count: int, users: list) -> None:
    for number in range(count):
        matter = factory.make_matter(f"matter-{number:03d}")
        for user in users:
            factory.make_membership(matter, user, Role.EDITOR)
        audit.record(users[number % len(users)], Action.SEARCH, matter=matter, details={})


@pytest.mark.parametrize("count", [2, 20])
def test_the_review_takes_the_same_number_of_queries_for_2_or_20_matters(
    count, django_assert_num_queries
):
    users = [factory.make_user(f"user{n}") for n in range(5)]
    factory.make_user("root", is_superuser=True)
    _many_matters(count, users)
    placed_by = factory.make_user("olivia")
    screen_service.screen_user(placed_by, factory.make_matter("walled"), "user1", "conflict")

    # matters, memberships, screens, superusers, last accesses
    with django_assert_num_queries(5):
        found = review()

    assert len(found) == count * 6 + 2  # 5 members and a break-glass row each; "walled": 2
    assert sum(1 for r in found if r.last_access is not None) == count
    with django_assert_num_queries(4):  # no superusers asked for
        stale_members(0)


def test_last_accesses_is_one_grouped_query(firm, officer, django_assert_num_queries):
    smith = firm["smith"]
    added_alice = AuditEvent.objects.get(matter=smith, actor=officer)
    audit.record(firm["bob"], Action.SEARCH, matter=smith, details={})
    bob_latest = audit.record(firm["bob"], Action.VIEW_PAGE, matter=smith, target=("page", 1))
    alice_latest = audit.record(firm["alice"], Action.ASK, matter=smith, details={})

    with django_assert_num_queries(1):
        found = last_accesses([smith])

    assert found == {
        (smith.pk, officer.pk): added_alice.at,
        (smith.pk, firm["bob"].pk): bob_latest.at,
        (smith.pk, firm["alice"].pk): alice_latest.at,
    }


def test_the_csv_is_one_row_per_matter_and_user_with_formulas_neutralised(firm):
    evil = factory.make_user("=cmd|calc", first_name="+1", last_name="-2")
    factory.make_matter("at-risk", "@SUM(A1:A9)")
    memberships.add_member(
        factory.make_matter("at-risk-2", "-rm"), "=cmd|calc", Role.VIEWER, firm["alice"]
    )
    memberships.add_member(Matter.objects.get(slug="at-risk"), "bob", Role.EDITOR, evil)
    added = {
        (m.matter.slug, m.user.username): m.created_at
        for m in Membership.objects.select_related("matter", "user")
    }

    def when(matter: str, user: str) -> str:
        return added[(matter, user)].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    text = "".join(access_csv.review_lines(review(ReviewFilter(user="bob"))))
    text += "".join(access_csv.review_lines(review(ReviewFilter(matter="at-risk-2"))))

    assert text == (
        "matter,matter_name,matter_status,user,full_name,access,role,superuser,added_by,"
        "added_at,last_access,note\r\n"
        f"at-risk,'@SUM(A1:A9),open,bob,,member,editor,no,'=cmd|calc,{when('at-risk', 'bob')},,"
        "\r\n"
        f"smith-v-jones,Smith v Jones,open,bob,,member,viewer,no,alice,"
        f"{when('smith-v-jones', 'bob')},,\r\n"
        "matter,matter_name,matter_status,user,full_name,access,role,superuser,added_by,"
        "added_at,last_access,note\r\n"
        f"at-risk-2,'-rm,open,'=cmd|calc,'+1 -2,member,viewer,no,alice,"
        f"{when('at-risk-2', '=cmd|calc')},,\r\n"
    )
    assert access_csv.cell(datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    assert [access_csv.cell(v) for v in ("\tx", "\rx", "a=b", None, True, 3)] == [
        "'\tx", "'\rx", "a=b", "", "yes", "3",
    ]  # fmt: skip


def test_the_retention_forecast_lists_closed_unheld_matters_due_within_the_window(
    officer, django_assert_num_queries
):
    now = timezone.now()
    area = PracticeArea.objects.create(slug="lit", name="Litigation", default_retention_years=7)
    due_by_area = factory.make_matter("due-by-area")
    due_by_own = factory.make_matter("due-by-own")
    later = factory.make_matter("later")
    held = factory.make_matter("held")
    kept_forever = factory.make_matter("kept-forever")
    still_open = factory.make_matter("still-open")
    for matter, closed_days_ago, years, practice in (
        (due_by_area, 7 * 365 - 10, None, area),
        (due_by_own, 2 * 365 - 1, 1, None),  # overdue: the next purge takes it
        (later, 7 * 365 - 60, None, area),
        (held, 7 * 365, None, area),
        (kept_forever, 9 * 365, None, None),
    ):
        Matter.objects.filter(pk=matter.pk).update(
            status="closed",
            closed_at=now - timedelta(days=closed_days_ago),
            retention_years=years,
            practice_area=practice,
        )
    Matter.objects.filter(pk=still_open.pk).update(practice_area=area, retention_years=1)
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        factory.make_document(due_by_area, name)
    held_document = factory.make_document(due_by_area, "kept.pdf")
    factory.make_document(held, "held.pdf")
    holds.place_hold(officer, document=held_document, reason="subpoena")
    holds.place_hold(officer, matter=held, reason="litigation pending")

    with django_assert_num_queries(1):
        found = retention_forecast.forecast(30, now=now)

    assert [(d.slug, d.retention_years, d.documents, d.held_documents) for d in found] == [
        ("due-by-own", 1, 0, 0),
        ("due-by-area", 7, 3, 1),
    ]
    first = Matter.objects.get(pk=due_by_own.pk)
    assert found[0].retention_ends == first.retention_ends() and found[0].overdue
    assert found[1].practice_area == "Litigation" and not found[1].overdue
    assert [d.slug for d in retention_forecast.forecast(90, now=now)] == [
        "due-by-own",
        "due-by-area",
        "later",
    ]
