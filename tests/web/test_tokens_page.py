"""/tokens/: a signed-in user makes, lists and revokes their own API tokens; the secret is
shown once, on the answer to the form, and never again."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from docproc.models import ApiToken
from docproc.services import tokens

pytestmark = pytest.mark.django_db


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_tokens_page_needs_a_login():
    response = Client().get("/tokens/")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/tokens/")


def test_the_form_offers_only_the_users_matters(viewer, matter, other_matter):
    html = client_as(viewer).get("/tokens/").content.decode()

    assert "smith-v-jones" in html
    assert "acme-audit" not in html


def test_creating_a_token_shows_it_once_and_stores_only_its_hash(viewer, matter):
    client = client_as(viewer)

    response = client.post(
        "/tokens/",
        {"name": "ledger", "scopes": ["read", "ask"], "matters": [matter.pk],
         "expires_in_days": "30"},
    )  # fmt: skip

    html = response.content.decode()
    plaintext = re.search(r'value="(dp_[A-Za-z0-9_-]{43})"', html).group(1)
    token = ApiToken.objects.get()
    assert response.status_code == 201
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    assert "it is shown only once" in html
    assert (token.name, token.scopes, token.user) == ("ledger", ["read", "ask"], viewer)
    assert list(token.matters.all()) == [matter]
    assert token.secret_hash == tokens.hash_token(plaintext)
    assert plaintext not in client.get("/tokens/").content.decode()


def test_a_token_without_scopes_is_refused_with_the_form_again(viewer):
    response = client_as(viewer).post("/tokens/", {"name": "nothing"})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_a_matter_the_user_is_not_in_cannot_be_chosen(viewer, other_matter):
    response = client_as(viewer).post(
        "/tokens/", {"scopes": ["read"], "matters": [other_matter.pk]}
    )

    assert response.status_code == 400
    assert ApiToken.objects.count() == 0


def test_the_list_shows_prefix_scopes_and_state(viewer):
    issued = tokens.create_token(viewer, "read", name="nightly export")

    html = client_as(viewer).get("/tokens/").content.decode()

    assert f"<code>{issued.token.prefix}…</code>" in html
    assert "nightly export" in html and "Active" in html
    assert issued.plaintext not in html


def test_revoking_a_token_from_the_page(viewer):
    issued = tokens.create_token(viewer, "read")

    response = client_as(viewer).post(f"/tokens/{issued.token.prefix}/revoke/", follow=True)

    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    assert response.redirect_chain == [("/tokens/", 302)]
    assert f"Token {issued.token.prefix}… revoked." in response.content.decode()


def test_nobody_can_revoke_another_users_token(viewer, editor):
    issued = tokens.create_token(editor, "read")

    response = client_as(viewer).post(f"/tokens/{issued.token.prefix}/revoke/")

    issued.token.refresh_from_db()
    assert response.status_code == 404
    assert issued.token.revoked_at is None


def test_revoking_needs_a_post(viewer):
    issued = tokens.create_token(viewer, "read")

    assert client_as(viewer).get(f"/tokens/{issued.token.prefix}/revoke/").status_code == 405
