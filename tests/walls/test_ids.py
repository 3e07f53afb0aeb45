"""Ids of another matter's objects given anywhere a request can carry them (the path, a body's
``documents``) are refused as not found and recorded; and no endpoint takes a chunk id, so a
passage can only be reached through the document it belongs to."""

from __future__ import annotations

import re

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from docproc.models import AuditEvent
from docproc.models.audit import Action
from tests.walls import matrix
from tests.walls.world import MARKS, QUERY, QUESTION

pytestmark = pytest.mark.django_db


def _as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    ("path", "body"),
    [("ask", {"question": QUESTION}), ("search", {"query": QUERY, "k": 5})],
)
def test_narrowing_a_question_in_ones_own_matter_to_another_matters_document_is_404_and_audited(
    world, path, body
):
    before = AuditEvent.objects.filter(action=Action.ACCESS_DENIED).count()

    response = _as(world.users["member_b"]).post(
        f"/api/v1/matters/{world.matter_b.pk}/{path}/",
        {**body, "documents": [world.document_a.pk]},
        format="json",
    )

    denial = AuditEvent.objects.filter(action=Action.ACCESS_DENIED).order_by("-seq").first()
    assert response.status_code == 404
    assert not any(mark.lower() in response.content.decode().lower() for mark in MARKS)
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED).count() == before + 1
    assert (denial.details["status"], denial.details["documents"]) == (404, [world.document_a.pk])


def _names(node, found: set[str]) -> set[str]:
    """Every property and parameter name anywhere in a piece of the OpenAPI schema."""
    if isinstance(node, dict):
        found.update(node.get("properties", {}))
        if node.get("in") in ("path", "query") and "name" in node:
            found.add(node["name"])
        for value in node.values():
            _names(value, found)
    elif isinstance(node, list):
        for value in node:
            _names(value, found)
    return found


def test_no_endpoint_takes_a_chunk_id():
    """A chunk reached by its own id would skip the document's wall: chunks are only listed
    under their document (``documents/{id}/chunks/``), never fetched or filtered by id."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    taken: set[str] = set()
    for operations in schema["paths"].values():
        for operation in operations.values():
            _names(operation.get("parameters", []), taken)
            _names(operation.get("requestBody", {}), taken)
    for name in list(schema["components"]["schemas"]):
        if name.endswith("Request"):  # request bodies (COMPONENT_SPLIT_REQUEST)
            _names(schema["components"]["schemas"][name], taken)
    path_parameters = {p for route in matrix.url_routes() for p in matrix._param_names(route)}

    assert "document_id" in path_parameters and "documents" in taken  # the walk sees ids
    assert [n for n in taken | path_parameters if re.search("chunk", n, re.I)] == []
