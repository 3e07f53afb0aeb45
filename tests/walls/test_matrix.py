"""Every route × every persona, called with matter A's ids (``tests/walls/matrix.py``): nobody
outside A gets anything of A, outsiders are told A's objects do not exist and the refusal is
recorded, and A's members do get what they asked for."""

from __future__ import annotations

import re

import pytest

from docproc.models import Matter
from tests.walls import matrix

pytestmark = pytest.mark.django_db


def test_every_route_of_the_url_conf_is_known_to_the_matrix():
    assert matrix.unknown_routes() == []
    assert matrix.stale_entries() == []


def test_every_route_outside_matter_data_says_why():
    matter_doors = (matrix.API, matrix.UI)
    unexplained = [
        route
        for route in matrix.url_routes()
        if (spec := matrix.spec_of(route)).door not in matter_doors and not spec.reason
    ]

    assert unexplained == []


def test_a_route_the_matrix_does_not_know_fails_it():
    report = matrix.run(world=None, routes=["reports/<int:report_id>/"])  # type: ignore[arg-type]

    assert report.problems == ["reports/<int:report_id>/: the matrix does not know how to call it"]


def test_an_admin_route_with_a_parameter_or_model_the_rule_does_not_know_is_unknown():
    assert matrix.spec_of("admin/docproc/matter/<int:report_id>/export/") is None
    assert matrix.spec_of("admin/docproc/page/<path:object_id>/change/") is None
    assert matrix.spec_of("admin/docproc/matter/<path:object_id>/change/").door == matrix.ADMIN


def test_nobody_outside_matter_a_gets_anything_of_it_on_any_route(world):
    report = matrix.run(world)

    assert not report.problems, "\n".join(report.problems)
    audited, due = report.denials
    assert (report.leaks, report.wrong_statuses, audited) == (0, 0, due)
    calls = {(o.route, o.method, o.persona) for o in report.outcomes}
    assert due > 0 and len(calls) == len(report.outcomes)
    print(report.summary())


def test_the_matrix_notices_a_route_that_leaks(world):
    """The same walk, with matter A's editor standing in for an outsider: it must fail."""
    from docproc.models import Membership, Role

    Membership.objects.create(matter=world.matter_a, user=world.users["member_b"], role=Role.VIEWER)

    report = matrix.run(world, routes=["api/v1/documents/<int:document_id>/pages/<int:number>/"])

    assert (
        "GET api/v1/documents/<int:document_id>/pages/<int:number>/ as member_b: leaked "
        "Quixotrix4417 (status 200)"
    ) in report.problems
    assert Matter.objects.filter(pk=world.matter_a.pk).exists()


def _unmasked(response) -> str:
    """The body without its CSRF token, which Django masks afresh on every response."""
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", response.content.decode())


def test_to_an_outsider_the_objects_of_matter_a_look_exactly_like_ids_nobody_has(world):
    """Status and body are the same for A's ids and for ids nobody has: the 404 says nothing
    about whether the object exists."""
    import uuid

    from django.test import Client

    client = Client()
    client.force_login(world.users["member_b"])
    nobody = {
        "matter_id": 10**9,
        "document_id": 10**9,
        "number": 1,
        "job_id": uuid.uuid4(),
        "screen_id": 10**9,
        "username": "nobody-at-all",
    }
    differences, statuses = [], set()
    for route in matrix.url_routes():
        spec = matrix.spec_of(route)
        if spec.door not in (matrix.API, matrix.UI, matrix.API_COMPLIANCE):
            continue
        real = client.get(matrix.url_of(route, spec.fill(world)))
        fake = client.get(matrix.url_of(route, nobody))
        statuses.add(real.status_code)
        if (real.status_code, _unmasked(real)) != (fake.status_code, _unmasked(fake)):
            differences.append(route)

    assert differences == []
    assert statuses == {404, 405}  # 405: routes offering POST only, whatever the id
