"""Signed-in sessions: recorded at sign-in, listed on /account/sessions/, ended one by one or
all but the current one by their own user only (another user's is 404), ended when idle past
DOCPROC_SESSION_IDLE_SECONDS (the next page goes to the sign-in page, which says why), and
closed at sign-out. Ending is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from docproc.models import AuditEvent, EndReason, UserSession
from docproc.models.audit import Action
from tests.api.conftest import PASSWORD

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148"


def signed_in(username: str, user_agent: str = FIREFOX) -> Client:
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def session_of(client: Client) -> UserSession:
    return UserSession.objects.get(session_key=client.session.session_key)


def test_signing_in_records_the_session_with_address_and_browser(make_user):
    make_user("dana")

    client = signed_in("dana")

    row = session_of(client)
    assert (row.user.username, row.ip_address, row.user_agent) == ("dana", "127.0.0.1", FIREFOX)
    assert row.ended_at is None
    page = client.get("/account/sessions/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "This session" in text
    assert FIREFOX in text
    assert "You have no other sessions." in text


def test_a_user_ends_another_of_their_sessions_and_it_is_signed_out(make_user):
    dana = make_user("dana")
    laptop, phone = signed_in("dana"), signed_in("dana", PHONE)
    phone_row = session_of(phone)
    assert PHONE in laptop.get("/account/sessions/").content.decode()

    response = laptop.post(f"/account/sessions/{phone_row.pk}/end/")

    assert response.status_code == 302
    assert response["Location"] == "/account/sessions/"
    phone_row.refresh_from_db()
    assert phone_row.end_reason == EndReason.ENDED
    assert phone.get("/").status_code == 302  # signed out: sent to the sign-in page
    assert phone.get("/")["Location"] == "/login/?next=/"
    assert laptop.get("/").status_code == 200
    event = AuditEvent.objects.filter(action=Action.SESSION_END).last()
    assert event.actor == dana
    assert (event.target_type, event.target_id) == ("session", str(phone_row.pk))
    assert event.details["reason"] == "ended"


def test_end_all_others_keeps_only_the_current_session(make_user):
    make_user("dana")
    laptop, phone, tablet = signed_in("dana"), signed_in("dana", PHONE), signed_in("dana")

    response = laptop.post("/account/sessions/end-others/", follow=True)

    assert "2 other sessions ended: signed out." in response.content.decode()
    assert phone.get("/").status_code == 302
    assert tablet.get("/").status_code == 302
    assert laptop.get("/").status_code == 200
    assert AuditEvent.objects.filter(action=Action.SESSION_END).count() == 2


def test_the_current_session_is_ended_by_signing_out_not_from_the_list(make_user):
    make_user("dana")
    laptop = signed_in("dana")

    response = laptop.post(f"/account/sessions/{session_of(laptop).pk}/end/", follow=True)

    assert "That is the session you are using: sign out to end it." in response.content.decode()
    assert laptop.get("/").status_code == 200


def test_another_users_session_is_not_found_and_the_attempt_is_audited(make_user):
    make_user("dana")
    make_user("eve")
    dana, eve = signed_in("dana"), signed_in("eve", PHONE)
    dana_row = session_of(dana)

    response = eve.post(f"/account/sessions/{dana_row.pk}/end/")

    assert response.status_code == 404
    dana_row.refresh_from_db()
    assert dana_row.ended_at is None
    assert dana.get("/").status_code == 200
    assert FIREFOX not in eve.get("/account/sessions/").content.decode()  # only her own
    denial = AuditEvent.objects.filter(action=Action.ACCESS_DENIED).last()
    assert denial.actor_name == "eve"
    assert (denial.target_type, denial.target_id) == ("session", str(dana_row.pk))


def test_a_session_idle_past_the_limit_is_signed_out_and_told_why(make_user, settings):
    settings.SESSION_IDLE_SECONDS = 1800
    make_user("dana")
    client = signed_in("dana")
    UserSession.objects.filter(session_key=client.session.session_key).update(
        last_seen_at=timezone.now() - timedelta(seconds=1801)
    )
    row = session_of(client)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"
    page = client.get(response["Location"])
    assert "You were signed out after 30 minutes without activity." in page.content.decode()
    row.refresh_from_db()
    assert row.end_reason == EndReason.IDLE
    event = AuditEvent.objects.filter(action=Action.SESSION_END).last()
    assert event.actor is None
    assert event.details["reason"] == "idle"
    assert event.details["user"] == "dana"


def test_a_session_used_within_the_limit_goes_on(make_user, settings):
    settings.SESSION_IDLE_SECONDS = 1800
    make_user("dana")
    client = signed_in("dana")
    UserSession.objects.filter(session_key=client.session.session_key).update(
        last_seen_at=timezone.now() - timedelta(seconds=1700)
    )

    assert client.get("/").status_code == 200
    assert timezone.now() - session_of(client).last_seen_at < timedelta(seconds=5)


def test_a_pages_own_polling_is_no_activity_so_an_open_page_still_idles_out(make_user, settings):
    settings.SESSION_IDLE_SECONDS = 1800
    make_user("dana")
    client = signed_in("dana")
    then = timezone.now() - timedelta(seconds=1700)
    UserSession.objects.filter(session_key=client.session.session_key).update(last_seen_at=then)

    polled = client.get("/", headers={"X-Docproc-Background": "1"})

    assert polled.status_code == 200  # within the limit: answered
    assert session_of(client).last_seen_at == then  # but not counted as use
    UserSession.objects.filter(session_key=client.session.session_key).update(
        last_seen_at=timezone.now() - timedelta(seconds=1801)
    )
    assert client.get("/", headers={"X-Docproc-Background": "1"})["Location"] == "/login/?next=/"


def test_signing_out_closes_the_session_record(make_user):
    make_user("dana")
    client = signed_in("dana")
    row = session_of(client)

    client.post("/logout/")

    row.refresh_from_db()
    assert row.end_reason == EndReason.SIGNED_OUT
    assert row.ended_at is not None
