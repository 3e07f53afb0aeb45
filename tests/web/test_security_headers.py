"""What every page tells the browser: a content security policy with no inline script, no
framing, no MIME sniffing, no referrer off-site; and the API docs pages, whose viewers set
styles from script, still run only our own scripts."""

from __future__ import annotations

import pytest


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.django_db
def test_pages_forbid_inline_script_framing_and_sniffing(client):
    response = client.get("/login/")

    policy = directives(response)
    assert response.status_code == 200
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_no_page_template_carries_an_inline_script(client):
    body = client.get("/login/").content.decode()

    assert "<script>" not in body and "<style>" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_api_docs_pages_run_only_our_own_scripts(admin_client, url):
    response = admin_client.get(url)

    body = response.content.decode()
    assert response.status_code == 200
    assert directives(response)["script-src"] == ["'self'"]
    assert "<script>" not in body
    assert "https://" not in body  # no font, script or style from outside the network


@pytest.mark.django_db
def test_swagger_ui_start_up_script_is_served_from_its_own_url(admin_client):
    response = admin_client.get("/api/docs/?script=")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()
