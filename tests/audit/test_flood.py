"""Failures an anonymous client can repeat at will do not flood the log: bad bearer tokens,
failed sign-ins and refused requests are counted per client address in Redis and recorded
once a window (with the previous window's count); beyond the limits they are refused. Sign-in
locks out per user name and per address. The address comes from a trusted proxy's header only.
"""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from docproc.services.audit import flood
from tests.audit.conftest import PASSWORD, events, only
from tests.support.llm_servers import pick_free_port

pytestmark = pytest.mark.django_db

BAD_TOKEN = "Bearer dp_" + "x" * 43
OTHER_ADDRESS = "198.51.100.9"


@pytest.fixture
def window(monkeypatch):
    """The failure window, moved on by hand: ``window.now = n``."""

    class Window:
        now = 1000

    monkeypatch.setattr(flood, "_window_now", lambda: Window.now)
    return Window


def bad_token(address: str = "203.0.113.7"):
    return APIClient().get("/api/v1/matters/", HTTP_AUTHORIZATION=BAD_TOKEN, REMOTE_ADDR=address)


def sign_in(username: str, password: str, address: str = "203.0.113.7", path: str = "/login/"):
    return Client().post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_a_burst_of_bad_tokens_writes_one_record_then_is_refused(settings, window):
    settings.TOKEN_FAILURES_PER_ADDRESS = 3

    statuses = [bad_token().status_code for _ in range(10)]

    assert statuses == [401] * 3 + [429] * 7
    assert only("sign_in_failed").details == {
        "method": "token",
        "prefix": "dp_xxxxx",
        "reason": "Invalid token.",
    }
    refused = bad_token().json()
    assert refused["code"] == "throttled"
    assert refused["detail"].startswith("Too many failed tokens from your address")


def test_the_next_windows_first_failure_records_the_last_bursts_count(window):
    for _ in range(7):
        bad_token()
    window.now += 3

    bad_token()

    first, second = events("sign_in_failed")
    assert "previous_burst" not in first.details
    assert second.details["previous_burst"] == {
        "failures": 7,
        "window_start": "1970-01-07T22:40:00+00:00",  # window 1000 of 600 s
        "window_s": 600,
    }


def test_each_address_has_its_own_count(window):
    bad_token()
    bad_token()
    bad_token(OTHER_ADDRESS)

    assert [r.client_address for r in events("sign_in_failed")] == ["203.0.113.7", OTHER_ADDRESS]


def test_a_valid_token_still_passes_from_an_address_refused_for_bad_ones(
    settings, window, bearer_as, viewer
):
    settings.TOKEN_FAILURES_PER_ADDRESS = 1
    bad_token(), bad_token()

    response = bearer_as(viewer, "read").get("/api/v1/matters/", REMOTE_ADDR="203.0.113.7")

    assert (bad_token().status_code, response.status_code) == (429, 200)


def test_without_redis_every_failure_is_recorded_and_none_refused(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{pick_free_port()}/0"
    settings.TOKEN_FAILURES_PER_ADDRESS = 1

    statuses = [bad_token().status_code for _ in range(3)]

    assert statuses == [401, 401, 401]
    assert len(events("sign_in_failed")) == 3


def test_failed_sign_ins_lock_the_user_name_out_even_with_the_right_password(
    settings, window, viewer
):
    settings.SIGN_IN_FAILURES_PER_USERNAME = 3
    failed = [sign_in("viewer", "guess").status_code for _ in range(3)]

    refused = sign_in("viewer", PASSWORD, address=OTHER_ADDRESS)

    assert failed == [200, 200, 200]
    assert refused.status_code == 429
    assert (
        "Too many failed sign-ins for this user name or from your address. Sign-in is refused for "
    ) in refused.content.decode()
    assert events("sign_in") == []
    assert len(events("sign_in_failed")) == 1  # one per window and address


def test_sign_in_works_again_when_the_window_ends(settings, window, viewer):
    settings.SIGN_IN_FAILURES_PER_USERNAME = 2
    sign_in("viewer", "guess"), sign_in("viewer", "guess")
    window.now += 1

    response = sign_in("viewer", PASSWORD)

    assert response.status_code == 302
    assert only("sign_in").actor_name == "viewer"


def test_failed_sign_ins_from_one_address_lock_that_address_out(settings, window, viewer):
    settings.SIGN_IN_FAILURES_PER_ADDRESS = 3
    for name in ("ann", "bob", "cy"):
        sign_in(name, "guess")

    here, elsewhere = sign_in("viewer", PASSWORD), sign_in("viewer", PASSWORD, OTHER_ADDRESS)

    assert (here.status_code, elsewhere.status_code) == (429, 302)


def test_the_admin_sign_in_is_refused_too_while_locked_out(settings, window, superuser):
    settings.SIGN_IN_FAILURES_PER_USERNAME = 1
    sign_in("root", "guess")

    response = sign_in("root", PASSWORD, path="/admin/login/")

    assert response.status_code == 200  # the admin's form, with its error: not signed in
    assert "_auth_user_id" not in response.client.session
    assert events("sign_in") == []


def test_an_anonymous_clients_refused_requests_write_one_record_a_window(viewer, window):
    client = Client(enforce_csrf_checks=True)

    statuses = [
        client.post("/login/", {}, REMOTE_ADDR="203.0.113.7").status_code for _ in range(25)
    ]

    assert statuses == [403] * 25
    assert only("access_denied").details == {
        "reason": "refused",
        "status": 403,
        "method": "POST",
        "path": "/login/",
    }


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.1"]


@pytest.mark.parametrize(
    ("peer", "forwarded", "recorded"),
    [
        ("192.0.2.1", "203.0.113.50", "203.0.113.50"),  # a trusted proxy: its header
        ("10.1.2.3", "203.0.113.50, 192.0.2.1", "203.0.113.50"),  # two trusted proxies
        ("10.1.2.3", "6.6.6.6, 203.0.113.50", "203.0.113.50"),  # the client's own claim ignored
        ("198.51.100.9", "203.0.113.50", "198.51.100.9"),  # not a proxy: the header is ignored
        ("10.1.2.3", "not-an-address", "10.1.2.3"),  # garbage: the proxy itself
        ("10.1.2.3", "", "10.1.2.3"),
    ],
)
def test_the_client_address_comes_from_a_trusted_proxys_header_only(
    behind_proxy, window, peer, forwarded, recorded
):
    APIClient().get(
        "/api/v1/matters/",
        HTTP_AUTHORIZATION=BAD_TOKEN,
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=forwarded,
    )

    assert only("sign_in_failed").client_address == recorded


def test_without_a_configured_proxy_the_header_is_ignored(window):
    bad_token_response = APIClient().get(
        "/api/v1/matters/",
        HTTP_AUTHORIZATION=BAD_TOKEN,
        REMOTE_ADDR="10.1.2.3",
        HTTP_X_FORWARDED_FOR="203.0.113.50",
    )

    assert bad_token_response.status_code == 401
    assert only("sign_in_failed").client_address == "10.1.2.3"
