"""The compliance pages' ethical-wall screens (``/compliance/screens/``): administrators and
compliance officers list every screen (active and lifted), screen a user from a matter with a
reason (their membership goes, and they see nothing of the matter from then on), and lift a
screen with a reason. Anyone else is refused (403) and the refusal is audited."""

from __future__ import annotations

import pytest
from django.test import Client

from docproc.models import AuditEvent, Membership, Screen
from tests.web.audit_records import denials, events, text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["compliance_officer", "superuser"])
def test_compliance_officers_and_administrators_open_the_screens_page(signed_in, request, who):
    user = request.getfixturevalue(who)

    response = signed_in(user).get("/compliance/screens/")

    assert response.status_code == 200
    assert "Ethical-wall screens" in text(response)
    assert 'id="compliance-link"' in response.content.decode()


def test_a_matter_manager_is_refused_the_screens_page_and_it_is_audited(signed_in, manager):
    response = signed_in(manager).get("/compliance/screens/")

    assert response.status_code == 403
    assert "This page needs the docproc.manage_screens permission." in text(response)
    assert denials() == [("manager", "needs the docproc.manage_screens permission", 403)]
    home = signed_in(manager).get("/")
    assert 'id="compliance-link"' not in home.content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in():
    response = Client().get("/compliance/screens/")

    assert (response.status_code, response["Location"]) == (
        302,
        "/login/?next=/compliance/screens/",
    )


def test_screening_a_member_removes_their_membership_and_hides_the_matter(
    signed_in, compliance_officer, editor, matter
):
    response = signed_in(compliance_officer).post(
        "/compliance/screens/",
        {"matter": matter.pk, "username": "editor", "reason": "Acted for Jones in 2024"},
        follow=True,
    )

    screen = Screen.objects.get()
    assert (screen.matter, screen.user, screen.created_by, screen.reason) == (
        matter,
        editor,
        compliance_officer,
        "Acted for Jones in 2024",
    )
    assert not Membership.objects.filter(user=editor).exists()
    assert "Screened editor from smith-v-jones. They are no longer its editor." in text(response)
    [placed] = events("screen_change")
    assert (placed.actor_name, placed.details["change"], placed.details["user"]) == (
        "officer",
        "placed",
        "editor",
    )
    assert placed.details["membership_removed"] == "editor"
    [removed] = events("membership_change")
    assert (removed.details["change"], removed.details["reason"]) == ("removed", "screened")

    hidden = signed_in(editor).get(f"/matters/{matter.pk}/")
    assert hidden.status_code == 404
    assert b"Smith v Jones" not in hidden.content
    assert denials()[-1] == ("editor", "screened from the matter", 404)


def test_the_screens_page_lists_active_and_lifted_screens(
    signed_in, compliance_officer, matter, make_user
):
    Screen.objects.create(matter=matter, user=make_user("amy"), reason="Conflict A")
    lifted = Screen.objects.create(matter=matter, user=make_user("ben"), reason="Conflict B")
    signed_in(compliance_officer).post(
        f"/compliance/screens/{lifted.pk}/lift/", {"reason": "Conflict resolved"}
    )

    response = signed_in(compliance_officer).get("/compliance/screens/")

    page = text(response)
    active = page[page.index("Active screens") : page.index("Lifted screens")]
    history = page[page.index("Lifted screens") :]
    assert "amy Smith v Jones (smith-v-jones) Conflict A" in active and "ben" not in active
    assert "ben Smith v Jones (smith-v-jones) Conflict B" in history
    assert "by officer Conflict resolved" in history


@pytest.mark.parametrize(
    ("form", "status", "words"),
    [
        ({"username": "nobody", "reason": "x"}, 400, "There is no user 'nobody'."),
        ({"username": "viewer", "reason": "   "}, 400, "This field is required."),
    ],
)
def test_a_screen_needs_a_real_user_and_a_reason(
    signed_in, compliance_officer, viewer, matter, form, status, words
):
    response = signed_in(compliance_officer).post(
        "/compliance/screens/", {"matter": matter.pk, **form}
    )

    assert response.status_code == status
    assert words in text(response)
    assert Screen.objects.count() == 0
    assert Membership.objects.filter(user=viewer).exists()


def test_screening_someone_twice_says_they_already_are(
    signed_in, compliance_officer, viewer, matter
):
    client = signed_in(compliance_officer)
    client.post("/compliance/screens/", {"matter": matter.pk, "username": "viewer", "reason": "A"})

    response = client.post(
        "/compliance/screens/", {"matter": matter.pk, "username": "viewer", "reason": "B"}
    )

    assert response.status_code == 409
    assert "viewer is already screened from smith-v-jones." in text(response)
    assert Screen.objects.count() == 1


def test_lifting_a_screen_keeps_it_as_history_and_does_not_restore_access(
    signed_in, superuser, viewer, matter
):
    client = signed_in(superuser)
    client.post("/compliance/screens/", {"matter": matter.pk, "username": "viewer", "reason": "A"})
    screen = Screen.objects.get()

    form = client.get(f"/compliance/screens/{screen.pk}/lift/")
    response = client.post(
        f"/compliance/screens/{screen.pk}/lift/", {"reason": "Matter for Jones ended"}, follow=True
    )

    assert form.status_code == 200
    assert "Lift the screen of viewer from smith-v-jones" in text(form)
    screen.refresh_from_db()
    assert (screen.lifted_by, screen.lift_reason) == (superuser, "Matter for Jones ended")
    assert "Lifted the screen of viewer from smith-v-jones." in text(response)
    assert not Membership.objects.filter(user=viewer).exists()
    lifted = events("screen_change")[-1]
    assert (lifted.actor_name, lifted.details["change"], lifted.details["reason"]) == (
        "root",
        "lifted",
        "Matter for Jones ended",
    )
    again = client.post(f"/compliance/screens/{screen.pk}/lift/", {"reason": "again"})
    assert again.status_code == 409
    assert "This screen was lifted on" in text(again)


def test_a_lift_needs_a_reason(signed_in, compliance_officer, matter, make_user):
    screen = Screen.objects.create(matter=matter, user=make_user("amy"), reason="Conflict")

    response = signed_in(compliance_officer).post(
        f"/compliance/screens/{screen.pk}/lift/", {"reason": ""}
    )

    assert response.status_code == 400
    assert Screen.objects.get().lifted_at is None


def test_a_manager_cannot_lift_a_screen_and_it_is_audited(signed_in, manager, matter, make_user):
    screen = Screen.objects.create(matter=matter, user=make_user("amy"), reason="Conflict")

    response = signed_in(manager).post(f"/compliance/screens/{screen.pk}/lift/", {"reason": "x"})

    assert response.status_code == 403
    assert Screen.objects.get().lifted_at is None
    assert AuditEvent.objects.filter(action="screen_change").count() == 0
    assert denials() == [("manager", "needs the docproc.manage_screens permission", 403)]


def test_an_unknown_screen_is_not_found(signed_in, compliance_officer):
    response = signed_in(compliance_officer).get("/compliance/screens/999999/lift/")

    assert response.status_code == 404


def test_an_access_reviewer_without_screens_gets_the_compliance_link_to_the_access_review(
    signed_in, make_user
):
    from django.contrib.auth.models import Permission

    reviewer = make_user("reviewer")
    reviewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="docproc", codename="review_access")
    )

    home = signed_in(reviewer).get("/")
    screens = signed_in(reviewer).get("/compliance/screens/")

    assert '<a href="/compliance/access/" id="compliance-link">Compliance</a>' in (
        home.content.decode()
    )
    assert screens.status_code == 403
