"""Single sign-on's pages (docproc/web/oidc_sign_in.py) without a provider round trip: the
button only when configured, the start redirect to the provider (state, nonce and PKCE), a
provider that cannot be reached or a callback this browser never started said in words on the
sign-in page, and 404 when single sign-on is not configured."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from docproc import sign_in_settings
from docproc.web import oidc_sign_in
from tests.support.llm_servers import pick_free_port

pytestmark = pytest.mark.django_db

AUTHORIZE = "https://login.example.org/authorize"


def configure(monkeypatch, settings, **environment: str) -> None:
    monkeypatch.setenv("DOCPROC_OIDC_CLIENT_ID", "docproc-test")
    monkeypatch.setenv("DOCPROC_OIDC_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("DOCPROC_OIDC_PROVIDER_NAME", "Example SSO")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    for name, value in sign_in_settings.django_settings().items():
        setattr(settings, name, value)
    oidc_sign_in._discovered.clear()


@pytest.fixture
def explicit_endpoints(monkeypatch, settings):
    configure(
        monkeypatch,
        settings,
        DOCPROC_OIDC_AUTHORIZATION_ENDPOINT=AUTHORIZE,
        DOCPROC_OIDC_TOKEN_ENDPOINT="https://login.example.org/token",
        DOCPROC_OIDC_USERINFO_ENDPOINT="https://login.example.org/userinfo",
        DOCPROC_OIDC_JWKS_ENDPOINT="https://login.example.org/jwks",
    )


def test_the_sign_in_page_offers_single_sign_on_only_when_configured(monkeypatch, settings):
    assert "Sign in with" not in Client().get("/login/").content.decode()

    configure(monkeypatch, settings, DOCPROC_OIDC_ISSUER="https://login.example.org")

    page = Client().get("/login/?next=/tokens/").content.decode()
    assert 'href="/sso/oidc/start/?next=/tokens/">Sign in with Example SSO</a>' in page


def test_single_sign_on_pages_are_not_found_when_not_configured():
    assert Client().get("/sso/oidc/start/").status_code == 404
    assert Client().get("/sso/oidc/callback/?code=x&state=y").status_code == 404


def test_starting_sends_the_browser_to_the_provider_with_state_nonce_and_pkce(
    explicit_endpoints,
):
    client = Client()

    response = client.get("/sso/oidc/start/?next=/tokens/")

    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == AUTHORIZE
    query = {name: values[0] for name, values in parse_qs(target.query).items()}
    assert query["client_id"] == "docproc-test"
    assert query["response_type"] == "code"
    assert query["scope"] == "openid email profile"
    assert query["redirect_uri"] == "http://testserver/sso/oidc/callback/"
    assert query["code_challenge_method"] == "S256"
    state = client.session["oidc_states"][query["state"]]
    assert state["nonce"] == query["nonce"]
    assert client.session["oidc_login_next"] == "/tokens/"


def test_a_provider_that_cannot_be_reached_is_said_in_words(monkeypatch, settings):
    configure(monkeypatch, settings, DOCPROC_OIDC_ISSUER=f"http://127.0.0.1:{pick_free_port()}")

    response = Client().get("/sso/oidc/start/", follow=True)

    assert response.redirect_chain == [("/login/", 302)]
    assert "Example SSO cannot be reached just now." in response.content.decode()


def test_a_callback_this_browser_never_started_signs_nobody_in(explicit_endpoints):
    client = Client()
    client.get("/sso/oidc/start/")

    response = client.get("/sso/oidc/callback/?code=stolen&state=not-ours", follow=True)

    assert response.redirect_chain == [("/login/", 302)]
    assert "Sign-in with Example SSO did not complete. Try again." in response.content.decode()
    assert "_auth_user_id" not in client.session
