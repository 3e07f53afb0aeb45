"""Single sign-on against a real OpenID provider process on loopback (django-oidc-provider,
``tests/signin/oidc_provider/``): the whole authorization-code flow with PKCE, the browser's
part played by a requests session at the provider and Django's test client at docproc, and
docproc's part (discovery, the token, the ID token's signature against the provider's keys,
userinfo) over real HTTP."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
import requests
from django.contrib.auth.models import User
from django.test import Client

from docproc import sign_in_settings
from docproc.models import AuditEvent
from docproc.models.audit import Action
from docproc.web import oidc_sign_in
from tests.api.conftest import PASSWORD
from tests.support import oidc_provider

pytestmark = pytest.mark.django_db

CLIENT_ID = "docproc-test"
SECRET = "provider-client-secret"
CALLBACK = "http://testserver/sso/oidc/callback/"


@pytest.fixture(scope="module")
def provider():
    why_not = oidc_provider.available()
    if why_not:
        pytest.skip(f"no OpenID provider for the single sign-on tests: {why_not}")
    process = oidc_provider.OidcProviderProcess(CLIENT_ID, SECRET, CALLBACK)
    try:
        process.start()
        yield process
    finally:
        process.close()


@pytest.fixture
def single_sign_on(provider, monkeypatch, settings):
    """docproc configured from the environment, by issuer (discovery), to use ``provider``."""
    environment = {
        "DOCPROC_OIDC_ISSUER": provider.issuer,
        "DOCPROC_OIDC_CLIENT_ID": CLIENT_ID,
        "DOCPROC_OIDC_CLIENT_SECRET": SECRET,
        "DOCPROC_OIDC_PROVIDER_NAME": "Example SSO",
        "DOCPROC_OIDC_SCOPES": "openid,email,profile,groups",
        "DOCPROC_OIDC_GROUP_MAP": '{"docproc-partners": "Matter creators"}',
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    for name, value in sign_in_settings.django_settings().items():
        setattr(settings, name, value)
    oidc_sign_in._discovered.clear()
    return provider


def sign_in_at_provider(authorize_url: str, username: str, password: str) -> str:
    """The browser at the provider: to its sign-in page, the form, back to authorize; returns
    where the provider sends the browser back to docproc."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200 and 'name="password"' in response.text:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
            assert token is not None
            nxt = re.search(r'name="next" value="([^"]*)"', response.text)
            response = browser.post(
                url,
                data={
                    "csrfmiddlewaretoken": token.group(1),
                    "username": username,
                    "password": password,
                    "next": nxt.group(1).replace("&amp;", "&") if nxt else "",
                },
                allow_redirects=False,
                timeout=10,
            )
        assert response.status_code == 302, response.text[:2000]
        url = urljoin(url, response.headers["Location"])
        if url.startswith(CALLBACK):
            return url
    raise AssertionError("the provider never sent the browser back")


def single_sign_on_as(username: str, password: str, next_page: str = "/tokens/"):
    client = Client()
    start = client.get(f"/sso/oidc/start/?next={next_page}")
    assert start.status_code == 302
    back = sign_in_at_provider(start["Location"], username, password)
    response = client.get(back.removeprefix("http://testserver"))
    return client, response


def test_a_provider_user_signs_in_is_created_from_claims_and_gets_the_mapped_group(
    single_sign_on,
):
    client, response = single_sign_on_as("frank", "frank-provider-pw")

    assert response.status_code == 302
    assert response["Location"] == "/tokens/"
    frank = User.objects.get(username="frank")
    assert (frank.first_name, frank.last_name, frank.email) == (
        "Frank",
        "Fisher",
        "frank@example.org",
    )
    assert not frank.has_usable_password()
    assert [g.name for g in frank.groups.all()] == ["Matter creators"]
    assert frank.has_perm("docproc.add_matter")
    assert client.get("/tokens/").status_code == 200
    assert AuditEvent.objects.filter(action=Action.SIGN_IN).last().actor_name == "frank"


def test_a_user_without_the_group_at_the_provider_loses_the_mapped_group(single_sign_on):
    from django.contrib.auth.models import Group

    grace = User.objects.create(username="grace")
    grace.set_unusable_password()
    grace.save()
    grace.groups.add(Group.objects.get(name="Matter creators"))

    _, response = single_sign_on_as("grace", "grace-provider-pw", next_page="/")

    assert response.status_code == 302
    assert not grace.groups.exists()


def test_the_provider_cannot_sign_in_to_a_local_account(single_sign_on, make_user):
    make_user("admin", is_superuser=True)

    client, response = single_sign_on_as("admin", "admin-provider-pw")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).last()
    assert (failed.details["method"], failed.details["username"]) == ("oidc", "")
    page = client.get("/login/").content.decode()
    assert "Example SSO named a local account, which only signs in with its password here." in page
    assert Client().post("/login/", {"username": "admin", "password": PASSWORD}).status_code == 302


def test_a_callback_carried_to_another_browser_signs_nobody_in(single_sign_on):
    client = Client()
    start = client.get("/sso/oidc/start/")
    back = sign_in_at_provider(start["Location"], "frank", "frank-provider-pw")
    assert client.get(back.removeprefix("http://testserver")).status_code == 302
    other = Client()
    other.get("/sso/oidc/start/")

    replay = other.get(back.removeprefix("http://testserver"))

    assert replay.status_code == 302
    assert replay["Location"] == "/login/"
    assert "_auth_user_id" not in other.session


def test_the_provider_signs_in_to_the_same_account_whatever_the_case_of_its_name(
    single_sign_on,
):
    directory_user = User.objects.create(username="Frank")  # made by directory sign-in
    directory_user.set_unusable_password()
    directory_user.save()

    client, response = single_sign_on_as("frank", "frank-provider-pw")

    assert response["Location"] == "/tokens/"
    assert list(User.objects.filter(username__iexact="frank").values_list("pk", flat=True)) == [
        directory_user.pk
    ]
    assert client.session["_auth_user_id"] == str(directory_user.pk)


def test_groups_are_left_alone_when_the_provider_does_not_say_them(
    single_sign_on, monkeypatch, settings
):
    from django.contrib.auth.models import Group

    monkeypatch.setenv("DOCPROC_OIDC_SCOPES", "openid,email,profile")  # no groups scope
    for name, value in sign_in_settings.django_settings().items():
        setattr(settings, name, value)
    grace = User.objects.create(username="grace")
    grace.set_unusable_password()
    grace.save()
    grace.groups.add(Group.objects.get(name="Matter creators"))

    _, response = single_sign_on_as("grace", "grace-provider-pw", next_page="/")

    assert response["Location"] == "/"
    assert [g.name for g in grace.groups.all()] == ["Matter creators"]


def test_an_error_sent_to_the_callback_does_not_sign_a_user_out(single_sign_on, make_user):
    client = Client()
    client.force_login(make_user("carol"))

    response = client.get("/sso/oidc/callback/?error=access_denied&state=made-up")

    assert (response.status_code, response["Location"]) == (302, "/login/")
    assert client.session["_auth_user_id"] == str(User.objects.get(username="carol").pk)
