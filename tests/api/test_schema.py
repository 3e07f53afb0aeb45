"""The OpenAPI 3 schema at /api/schema/ is valid, describes every route of docproc/api/urls.py
with its token scope and error bodies, and its docs pages are served from our own files."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def api_routes() -> dict[str, type]:
    """OpenAPI path → view class, for every route under /api/v1/."""
    routes = {}

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "view_class"):
                path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
                routes[path] = pattern.callback.view_class

    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/")
    walk(api.url_patterns, "api/v1/")
    return routes


@pytest.fixture
def schema(api_as, viewer) -> dict:
    response = api_as(viewer).get("/api/schema/")
    assert response.status_code == 200
    return response.json()


def test_the_schema_passes_drf_spectaculars_validation_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(out), stderr=io.StringIO()
    )

    assert out.read_text().startswith("openapi: 3.0.3")


def test_the_schema_describes_every_route_and_method(schema):
    expected = {
        (path, method)
        for path, view in api_routes().items()
        for method in METHODS
        if hasattr(view, method)
    }
    described = {
        (path, method)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in METHODS
    }

    assert len(expected) >= 17
    assert described == expected


def test_every_operation_names_its_token_scope_and_documents_auth_errors(schema):
    routes = api_routes()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            scope = routes[path].scopes[method.upper()]
            assert operation["x-token-scope"] == scope, (path, method)
            assert f"Token scope: `{scope}`" in operation["description"], (path, method)
            for status in ("401", "403"):
                body = operation["responses"][status]["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/Error"}, (path, method, status)


def test_error_bodies_are_code_and_detail(schema):
    error = schema["components"]["schemas"]["Error"]

    assert error["required"] == ["code", "detail"]
    assert set(error["properties"]) == {"code", "detail", "errors", "wait_seconds"}


def test_bearer_tokens_are_the_first_security_scheme(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert schema["paths"]["/api/v1/matters/"]["get"]["security"][0] == {"bearerAuth": []}


def test_streamed_ask_is_documented_as_ndjson(schema):
    answers = schema["paths"]["/api/v1/matters/{matter_id}/ask/"]["post"]["responses"]["200"]

    assert set(answers["content"]) == {"application/json", "application/x-ndjson"}


def test_async_operations_document_their_202_job(schema):
    for path in (
        "/api/v1/documents/{document_id}/summary/",
        "/api/v1/documents/{document_id}/extract/",
    ):  # noqa: E501
        accepted = schema["paths"][path]["post"]["responses"]["202"]
        assert accepted["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Job"
        }


def test_the_schema_needs_authentication(api_as):
    response = api_as(None).get("/api/schema/")

    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }


def test_any_valid_token_may_read_the_schema(bearer_as, viewer):
    response = bearer_as(viewer, "read").get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["openapi"] == "3.0.3"


def test_the_schema_is_also_served_as_yaml(api_as, viewer):
    response = api_as(viewer).get("/api/schema/?format=yaml")

    assert response.content.startswith(b"openapi: 3.0.3")


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_only_our_own_static_files(viewer, page):
    client = Client()
    client.force_login(viewer)

    html = client.get(page).content.decode()

    assert re.findall(r"https?://", html) == []
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert assets, "the page loads its scripts from /static/"
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset


def test_swagger_ui_does_not_call_the_online_validator(viewer):
    client = Client()
    client.force_login(viewer)

    script = client.get("/api/docs/?script=").content.decode()  # the page's start-up script

    assert '"validatorUrl": null' in script


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_send_visitors_to_sign_in(page):
    response = Client().get(page)

    assert (response.status_code, response["Location"]) == (302, f"/login/?next={page}")


def test_deletes_that_read_a_reason_describe_their_body(schema):
    """drf-spectacular leaves DELETE bodies out; ``openapi_matters.BodyOnDeleteSchema`` puts
    them in: required to lift a screen, optional to release a hold or remove a member."""

    def body(path: str) -> dict:
        return schema["paths"][path]["delete"]["requestBody"]

    def ref(name: str) -> dict:
        return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}

    assert body("/api/v1/screens/{screen_id}/") == {
        "content": ref("RequiredReasonRequest"),
        "required": True,
    }
    for path in (
        "/api/v1/matters/{matter_id}/hold/",
        "/api/v1/documents/{document_id}/hold/",
        "/api/v1/matters/{matter_id}/members/{username}/",
    ):
        assert body(path) == {"content": ref("ReasonRequest")}, path
    assert "requestBody" not in schema["paths"]["/api/v1/matters/{matter_id}/"]["delete"]
    reason = schema["components"]["schemas"]["RequiredReasonRequest"]
    assert reason["required"] == ["reason"]
