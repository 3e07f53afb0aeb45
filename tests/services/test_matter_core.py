"""The matter services every front door calls (matters, memberships, screens, holds,
matter_deletion), exercised directly: what each does, what each refuses and with which words
and code, and what each leaves in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from docproc.models import (
    AuditEvent,
    DeletionReason,
    DeletionReceipt,
    Document,
    LegalHold,
    Matter,
    MatterDeletionReceipt,
    MatterStatus,
    Membership,
    PracticeArea,
    Role,
    Screen,
)
from docproc.models.audit import Action
from docproc.models.matters import add_years
from docproc.services import documents, holds, indexes, matters, memberships, screens, storage
from docproc.services.matter_deletion import delete_matter
from tests.factories import rows
from tests.factories.stored import make_stored_documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return rows.make_user("mona")


@pytest.fixture
def matter(manager) -> Matter:
    return matters.create_matter(manager, slug="smith-v-jones", name="Smith v Jones")


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


# --- create, edit -------------------------------------------------------------------------------


def test_a_description_longer_than_the_limit_is_refused(manager):
    with pytest.raises(matters.MatterError, match="at most 5000 characters"):
        matters.create_matter(manager, slug="long", name="Long", description="x" * 5001)

    assert not Matter.objects.filter(slug="long").exists()


def test_a_retention_reaching_past_the_year_9999_ends_with_it():
    closed = datetime(2026, 2, 28, 9, 30, tzinfo=UTC)

    assert add_years(closed, 8000) == datetime(9999, 12, 31, 9, 30, tzinfo=UTC)
    assert add_years(datetime(2028, 2, 29, tzinfo=UTC), 1) == datetime(2029, 2, 28, tzinfo=UTC)


def test_the_creator_of_a_matter_becomes_its_manager(matter, manager):
    assert list(Membership.objects.filter(matter=matter).values_list("user__username", "role")) == [
        ("mona", Role.MANAGER)
    ]
    assert Membership.objects.get(matter=matter).added_by == manager
    assert (matter.status, matter.created_by) == (MatterStatus.OPEN, manager)


def test_creating_a_matter_is_audited_with_what_it_is(matter):
    (created,) = events(Action.MATTER_CHANGE)
    (added,) = events(Action.MEMBERSHIP_CHANGE)

    assert (created.actor_name, created.matter_slug) == ("mona", "smith-v-jones")
    assert created.details == {
        "change": "created",
        "after": {
            "slug": "smith-v-jones",
            "name": "Smith v Jones",
            "description": "",
            "client_reference": "",
            "practice_area": None,
            "retention_years": None,
            "status": "open",
        },
    }
    assert added.details == {
        "change": "added",
        "user": "mona",
        "role": "manager",
        "previous_role": None,
        "reason": "creator",
    }


def test_a_matter_made_by_the_system_has_no_members():
    made = matters.create_matter(None, slug="imported", name="Imported")

    assert (made.created_by, Membership.objects.filter(matter=made).count()) == (None, 0)


def test_a_second_matter_with_the_same_reference_is_refused(matter):
    with pytest.raises(matters.MatterExistsError) as refused:
        matters.create_matter(None, slug="smith-v-jones", name="Other")

    assert (refused.value.code, refused.value.field) == ("matter_exists", "slug")
    assert str(refused.value) == "A matter with the reference 'smith-v-jones' already exists."


@pytest.mark.parametrize("slug", ["Smith v Jones", "", "Smith-V-Jones"])
def test_a_reference_that_is_not_a_slug_is_refused(slug):
    with pytest.raises(matters.MatterError) as refused:
        matters.create_matter(None, slug=slug, name="x")

    assert refused.value.field == "slug"
    assert Matter.objects.count() == 0


def test_an_edit_returns_and_audits_what_changed_before_and_after(matter, manager):
    area = PracticeArea.objects.create(slug="litigation", name="Litigation")

    diff = matters.update_matter(manager, matter, name="Smith v Jones (appeal)", practice_area=area)

    assert diff == {
        "name": {"before": "Smith v Jones", "after": "Smith v Jones (appeal)"},
        "practice_area": {"before": None, "after": "litigation"},
    }
    assert events(Action.MATTER_CHANGE)[-1].details == {"change": "edited", "fields": diff}
    assert Matter.objects.get(pk=matter.pk).name == "Smith v Jones (appeal)"


def test_an_edit_that_changes_nothing_records_nothing(matter, manager):
    assert matters.update_matter(manager, matter, name="Smith v Jones") == {}
    assert len(events(Action.MATTER_CHANGE)) == 1  # its creation only


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"slug": "new-ref"}, "slug"), ({"name": "  "}, "name"), ({"retention_years": 101}, None)],
)
def test_an_edit_of_the_reference_a_blank_name_or_too_long_a_retention_is_refused(
    matter, changes, field
):
    with pytest.raises(matters.MatterError) as refused:
        matters.update_matter(None, matter, **changes)

    assert refused.value.field == (field or "retention_years")
    assert Matter.objects.get(pk=matter.pk).slug == "smith-v-jones"


def test_an_unknown_practice_area_is_named_with_the_known_ones():
    PracticeArea.objects.create(slug="oncology", name="Oncology")

    with pytest.raises(matters.MatterError) as refused:
        matters.practice_area("cardiology")

    assert str(refused.value) == "There is no practice area 'cardiology' (known: oncology)."


# --- close, reopen ------------------------------------------------------------------------------


def test_closing_makes_the_matter_read_only_and_starts_its_retention(matter, manager):
    matter.retention_years = 7
    matter.save()

    matters.close_matter(manager, matter, "Settled")

    assert (matter.status, matter.closed_by) == (MatterStatus.CLOSED, manager)
    assert matter.closed_at is not None
    assert matter.retention_ends() == matter.closed_at.replace(year=matter.closed_at.year + 7)
    assert events(Action.MATTER_CHANGE)[-1].details == {
        "change": "closed",
        "reason": "Settled",
        "retention_ends": matter.retention_ends().isoformat(),
    }
    with pytest.raises(matters.MatterClosedError) as refused:
        matters.ensure_open(matter, "upload documents")
    assert refused.value.code == "matter_closed"
    assert str(refused.value) == (
        "The matter smith-v-jones is closed, so you cannot upload documents. "
        "A manager can reopen it."
    )


def test_closing_a_closed_matter_is_refused(matter):
    matters.close_matter(None, matter)

    with pytest.raises(matters.MatterConflictError, match="smith-v-jones is already closed"):
        matters.close_matter(None, matter)


def test_a_document_of_a_closed_matter_cannot_be_deleted(matter):
    document = make_stored_documents(matter, 1)[0]
    matters.close_matter(None, matter)

    with pytest.raises(matters.MatterClosedError):
        documents.delete_document(document)

    assert Document.objects.filter(pk=document.pk).exists()


def test_reopening_clears_the_closing_and_allows_changes_again(matter, manager):
    matters.close_matter(manager, matter)

    matters.reopen_matter(manager, matter, "New evidence")

    assert (matter.status, matter.closed_at, matter.closed_by) == (MatterStatus.OPEN, None, None)
    assert events(Action.MATTER_CHANGE)[-1].details == {
        "change": "reopened",
        "reason": "New evidence",
        "retention_ends": None,
    }
    matters.ensure_open(matter)  # no longer refused
    with pytest.raises(matters.MatterConflictError, match="already open"):
        matters.reopen_matter(manager, matter)


# --- members ------------------------------------------------------------------------------------


def test_a_member_added_by_a_manager_is_listed_with_who_added_them(matter, manager):
    rows.make_user("vera")

    memberships.add_member(matter, "vera", Role.VIEWER, manager, create_user=False)

    listed = [(m.username, m.role, m.added_by) for m in memberships.members(matter)]
    assert listed == [("mona", "manager", "mona"), ("vera", "viewer", "mona")]
    assert events(Action.MEMBERSHIP_CHANGE)[-1].details == {
        "change": "added",
        "user": "vera",
        "role": "viewer",
        "previous_role": None,
        "user_created": False,
    }


def test_the_ui_and_api_cannot_add_a_user_who_has_no_account(matter, manager):
    with pytest.raises(matters.MatterError) as refused:
        memberships.add_member(matter, "ghost", Role.VIEWER, manager, create_user=False)

    assert refused.value.field == "username"
    assert not Membership.objects.filter(matter=matter, user__username="ghost").exists()


def test_a_members_role_change_is_audited_with_the_role_before(matter, manager):
    rows.make_user("eddie")
    memberships.add_member(matter, "eddie", Role.VIEWER, manager, create_user=False)

    memberships.change_role(manager, matter, "eddie", Role.EDITOR)

    assert Membership.objects.get(matter=matter, user__username="eddie").role == Role.EDITOR
    last = events(Action.MEMBERSHIP_CHANGE)[-1].details
    assert (last["change"], last["role"], last["previous_role"]) == (
        "role changed",
        "editor",
        "viewer",
    )


def test_a_removed_member_loses_the_matter(matter, manager):
    vera = rows.make_user("vera")
    memberships.add_member(matter, "vera", Role.VIEWER, manager, create_user=False)

    memberships.remove_member(manager, matter, "vera", "Left the firm")

    assert list(Matter.objects.visible_to(vera)) == []
    assert events(Action.MEMBERSHIP_CHANGE)[-1].details == {
        "change": "removed",
        "user": "vera",
        "role": "viewer",
        "previous_role": "viewer",
        "reason": "Left the firm",
    }


def test_the_last_manager_can_be_neither_removed_nor_demoted(matter, manager):
    for attempt in (
        lambda: memberships.remove_member(manager, matter, "mona"),
        lambda: memberships.change_role(manager, matter, "mona", Role.EDITOR),
    ):
        with pytest.raises(memberships.LastManagerError) as refused:
            attempt()
        assert refused.value.code == "last_manager"

    assert Membership.objects.get(matter=matter).role == Role.MANAGER


def test_removing_someone_who_is_not_a_member_says_so(matter, manager):
    with pytest.raises(memberships.MemberNotFoundError, match="nobody is not a member"):
        memberships.remove_member(manager, matter, "nobody")


# --- screens ------------------------------------------------------------------------------------


def test_screening_a_member_removes_their_membership_and_hides_the_matter(matter, manager):
    sam = rows.make_user("sam")
    memberships.add_member(matter, "sam", Role.EDITOR, manager, create_user=False)
    officer = rows.make_user("olga")

    screen = screens.screen_user(officer, matter, "sam", "Acted for the other side")

    assert list(Matter.objects.visible_to(sam)) == []
    assert matter.role_of(sam) is None
    assert not Membership.objects.filter(matter=matter, user=sam).exists()
    assert events(Action.SCREEN_CHANGE)[-1].details == {
        "change": "placed",
        "screen": screen.pk,
        "user": "sam",
        "reason": "Acted for the other side",
        "membership_removed": "editor",
    }


def test_a_screened_user_cannot_be_added(matter, manager):
    sam = rows.make_user("sam")
    screens.screen_user(None, matter, "sam", "Conflict")

    with pytest.raises(memberships.ScreenedUserError) as refused:
        memberships.add_member(matter, "sam", Role.VIEWER, manager, create_user=False)

    assert refused.value.code == "screened"
    assert str(refused.value) == (
        "sam is screened from smith-v-jones (an ethical wall) and cannot be added. Only a "
        "compliance officer can lift the screen."
    )
    assert not Membership.objects.filter(matter=matter, user=sam).exists()


def test_the_only_manager_cannot_be_screened_until_someone_else_manages(matter, manager):
    with pytest.raises(memberships.LastManagerError, match="mona is the only manager"):
        screens.screen_user(None, matter, "mona", "Acts for the other side")

    assert Membership.objects.get(matter=matter, user=manager).role == "manager"
    assert not Screen.objects.exists()
    memberships.add_member(matter, rows.make_user("nina").username, Role.MANAGER, manager)
    screens.screen_user(None, matter, "mona", "Acts for the other side")
    assert not Membership.objects.filter(matter=matter, user=manager).exists()


def test_a_screen_needs_a_reason_and_cannot_be_placed_twice(matter):
    rows.make_user("sam")
    with pytest.raises(matters.MatterError, match="needs a reason"):
        screens.screen_user(None, matter, "sam", "  ")
    screens.screen_user(None, matter, "sam", "Conflict")

    with pytest.raises(matters.MatterConflictError, match="sam is already screened"):
        screens.screen_user(None, matter, "sam", "Again")


def test_a_lifted_screen_lets_a_manager_add_the_user_again(matter, manager):
    sam = rows.make_user("sam")
    screen = screens.screen_user(None, matter, "sam", "Conflict")

    screens.lift_screen(None, screen, "Conflict cleared")
    memberships.add_member(matter, "sam", Role.VIEWER, manager, create_user=False)

    assert Screen.objects.get(pk=screen.pk).lift_reason == "Conflict cleared"
    assert list(Matter.objects.visible_to(sam)) == [matter]
    with pytest.raises(matters.MatterConflictError, match="already lifted"):
        screens.lift_screen(None, screen, "Again")


def test_only_administrators_and_compliance_officers_manage_screens(manager):
    admin = rows.make_user("root", is_superuser=True)

    assert (screens.can_manage_screens(admin), screens.can_manage_screens(manager)) == (True, False)
    assert screens.can_manage_screens(None) is False


# --- legal holds --------------------------------------------------------------------------------


def test_a_held_document_cannot_be_deleted_and_the_refusal_says_who_when_and_why(matter, manager):
    document = make_stored_documents(matter, 1)[0]
    holds.place_hold(manager, document=document, reason="Litigation 2031-17")

    with pytest.raises(holds.LegalHoldError) as refused:
        documents.delete_document(document, manager)

    assert refused.value.code == "legal_hold"
    assert str(refused.value) == (
        f"Document {document.filename} is under a legal hold placed by mona on "
        f"{timezone.now():%Y-%m-%d} (Litigation 2031-17). Nothing it covers can be deleted or "
        "purged until the hold is released."
    )
    assert Document.objects.filter(pk=document.pk).exists()
    assert storage.blob_path(document.sha256).exists()
    (denial,) = events(Action.ACCESS_DENIED)
    hold = holds.active_hold(document=document)
    assert (denial.actor, denial.matter, denial.target_type, denial.target_id) == (
        manager,
        matter,
        "document",
        str(document.pk),
    )
    assert denial.details == {"reason": "under a legal hold", "status": 409, "hold": hold.pk}


def test_a_hold_on_the_matter_covers_every_document_in_it(matter):
    document = make_stored_documents(matter, 1)[0]
    hold = holds.place_hold(None, matter=matter, reason="Regulator inquiry")

    assert holds.hold_covering(document) == hold
    with pytest.raises(holds.LegalHoldError, match="Matter smith-v-jones is under a legal hold"):
        documents.delete_document(document)


def test_placing_and_releasing_a_hold_are_audited_with_who_and_why(matter, manager):
    hold = holds.place_hold(manager, matter=matter, reason="Subpoena")

    released = holds.release_hold(manager, hold, "Case settled")

    placed, gone = events(Action.HOLD_CHANGE)
    assert placed.details == {
        "change": "placed",
        "hold": hold.pk,
        "on": "matter",
        "reason": "Subpoena",
        "placed_by": "mona",
    }
    assert gone.details == {**placed.details, "change": "released", "reason": "Case settled"}
    assert (released.released_by, released.release_reason) == (manager, "Case settled")
    assert holds.active_hold(matter=matter) is None


def test_a_hold_needs_a_reason_and_one_is_enough(matter):
    with pytest.raises(matters.MatterError, match="needs a reason"):
        holds.place_hold(None, matter=matter, reason=" ")
    hold = holds.place_hold(None, matter=matter, reason="Audit")

    with pytest.raises(matters.MatterConflictError, match="already under a legal hold"):
        holds.place_hold(None, matter=matter, reason="Again")
    holds.release_hold(None, hold)
    with pytest.raises(matters.MatterConflictError, match="already released"):
        holds.release_hold(None, hold)


def test_once_released_the_document_can_be_deleted_with_a_receipt(matter, manager):
    document = make_stored_documents(matter, 1)[0]
    hold = holds.place_hold(manager, document=document, reason="Review")
    holds.release_hold(manager, hold, "Reviewed")

    receipt = documents.delete_document(document, manager)

    assert (receipt.document_id, receipt.reason, receipt.deleted_by) == (
        document.pk,
        DeletionReason.DELETED,
        manager,
    )
    assert LegalHold.objects.filter(document_id=document.pk).count() == 0  # went with it


# --- deleting a whole matter --------------------------------------------------------------------


def test_deleting_a_matter_removes_everything_with_one_receipt_listing_each_document(
    matter, manager
):
    stored = make_stored_documents(matter, 3)
    matter_id = matter.pk
    assert indexes.index_dir(matter_id).exists()

    receipt = delete_matter(manager, matter)

    receipts = list(DeletionReceipt.objects.filter(matter_receipt=receipt).order_by("document_id"))
    assert [(r.document_id, r.reason, r.file_removed) for r in receipts] == [
        (d.pk, DeletionReason.MATTER_DELETED, True) for d in stored
    ]
    assert [line["document_id"] for line in receipt.documents] == [d.pk for d in stored]
    assert (receipt.slug, receipt.deleted_by, receipt.index_removed) == (
        "smith-v-jones",
        manager,
        True,
    )
    assert not Matter.objects.filter(pk=matter_id).exists()
    assert not Membership.objects.filter(matter_id=matter_id).exists()
    assert not indexes.index_dir(matter_id).exists()
    assert [storage.blob_path(d.sha256).exists() for d in stored] == [False] * 3
    (event,) = events(Action.MATTER_DELETE)
    assert event.details == {
        "slug": "smith-v-jones",
        "name": "Smith v Jones",
        "receipt": receipt.pk,
        "documents_removed": 3,
        "chunks_removed": 6,
        "vectors_removed": 6,
        "memberships_removed": 1,
        "screens_removed": 0,
    }


def test_a_second_deletion_of_the_same_matter_says_it_is_gone_already(matter, manager):
    make_stored_documents(matter, 1)
    first = delete_matter(manager, matter)

    # The page a second click came from still holds the matter it loaded before the first.
    with pytest.raises(matters.MatterGoneError, match="smith-v-jones has been deleted already"):
        delete_matter(manager, matter)

    assert list(MatterDeletionReceipt.objects.values_list("pk", flat=True)) == [first.pk]
    assert len(events(Action.MATTER_DELETE)) == 1


def test_a_matter_with_a_held_document_cannot_be_deleted(matter):
    document = make_stored_documents(matter, 2)[1]
    holds.place_hold(None, document=document, reason="Appeal")

    with pytest.raises(holds.LegalHoldError, match=f"Document {document.filename} is under"):
        delete_matter(None, matter)

    assert Document.objects.filter(matter=matter).count() == 2
    assert MatterDeletionReceipt.objects.count() == 0
    assert events(Action.MATTER_DELETE) == []
    (denial,) = events(Action.ACCESS_DENIED)
    assert (denial.matter, denial.details["reason"], denial.details["status"]) == (
        matter,
        "under a legal hold",
        409,
    )
