"""Every API error is JSON with a stable ``code`` and a human ``detail``, never a stack trace."""

from __future__ import annotations

import base64

import pytest

from docproc.api.authentication import BASIC_REFUSED
from docproc.services import retrieval
from tests.api.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def basic_auth(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_anonymous_request_gets_401_json_with_bearer_challenge(api_as):
    response = api_as(None).get("/api/v1/matters/")

    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("password", ["wrong-password", PASSWORD])
def test_basic_credentials_are_refused_with_a_pointer_to_tokens(api_as, viewer, password):
    """Even the right password is refused: it would bypass a token's scopes and expiry."""
    response = api_as(None).get(
        "/api/v1/matters/", HTTP_AUTHORIZATION=basic_auth("viewer", password)
    )

    assert response.status_code == 401
    assert response.json() == {"code": "authentication_failed", "detail": BASIC_REFUSED}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_unknown_api_url_gets_404_json(api_as, viewer):
    response = api_as(viewer).get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "Not found."}


def test_wrong_method_gets_405_json(api_as, viewer):
    response = api_as(viewer).put("/api/v1/matters/", {}, format="json")

    assert response.status_code == 405
    assert response.json() == {"code": "method_not_allowed", "detail": 'Method "PUT" not allowed.'}


def test_unsupported_media_type_gets_415_json(api_as, viewer, matter):
    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/search/", "query=x", content_type="text/plain"
    )

    assert response.status_code == 415
    assert response.json() == {
        "code": "unsupported_media_type",
        "detail": 'Unsupported media type "text/plain" in request.',
    }


def test_unexpected_error_gets_500_server_error_without_internals(
    api_as, viewer, matter, monkeypatch
):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internal state")

    monkeypatch.setattr(retrieval, "hybrid_search", explode)

    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/search/", {"query": "x"}, format="json"
    )

    assert response.status_code == 500
    assert response.json() == {
        "code": "server_error",
        "detail": "An unexpected error occurred. It has been logged; please try again later.",
    }
    assert b"secret" not in response.content
    assert b"Traceback" not in response.content


def test_not_a_member_and_not_found_look_the_same(api_as, outsider, make_document):
    document = make_document()

    hidden = api_as(outsider).get(f"/api/v1/documents/{document.pk}/")
    missing = api_as(outsider).get("/api/v1/documents/999999/")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"code": "not_found", "detail": "Document not found."}
