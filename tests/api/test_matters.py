"""``GET matters/`` and ``GET matters/{id}/``: only the user's matters, with their role."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_matter_list_shows_only_the_users_matters_with_role(
    api_as, make_member, matter, other_matter, make_document
):
    user = make_member("editor")
    make_document()

    response = api_as(user).get("/api/v1/matters/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [(m["id"], m["slug"], m["role"], m["documents"]) for m in body["results"]] == [
        (matter.pk, "smith-v-jones", "editor", 1)
    ]


def test_matter_detail_for_a_member(api_as, viewer, matter):
    response = api_as(viewer).get(f"/api/v1/matters/{matter.pk}/")

    assert response.status_code == 200
    assert response.json()["name"] == "Smith v Jones"
    assert response.json()["role"] == "viewer"


def test_non_member_gets_404_for_a_matter(api_as, outsider, matter):
    response = api_as(outsider).get(f"/api/v1/matters/{matter.pk}/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Matter not found."}


def test_superuser_is_not_implicitly_a_member(api_as, make_user, matter):
    admin = make_user("root", is_staff=True, is_superuser=True)

    listing = api_as(admin).get("/api/v1/matters/")
    detail = api_as(admin).get(f"/api/v1/matters/{matter.pk}/")

    assert listing.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert detail.status_code == 404
