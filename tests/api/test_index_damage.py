"""A matter's FAISS file truncated on disk: ``check_index`` says so, search of that matter
answers 503 naming the fix while other matters keep serving, ``rebuild_index`` repairs it (and
so does the next document indexed into it, from the database)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from docproc.services import indexes, ingestion
from tests.factories import rows
from tests.factories.files import make_text_pdf

pytestmark = pytest.mark.django_db


def indexed(matter, filename, pages):
    """A document of ``matter`` through the real stages, run here in-process (no worker)."""
    document = ingestion.submit(matter, filename, [make_text_pdf(pages)]).document
    assert ingestion.parse(document.pk) and ingestion.chunk(document.pk)
    assert ingestion.embed(document.pk) == 0
    assert ingestion.index(document.pk)
    return document


def manage(*args):
    """(exit status, JSON lines) of a management command run in this process."""
    out = io.StringIO()
    try:
        call_command(*args, stdout=out)
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    return status, [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def search(client, matter, query):
    return client.post(f"/api/v1/matters/{matter.pk}/search/", {"query": query}, format="json")


@pytest.fixture
def two_matters(matter, other_matter, make_member, fresh_indexes):
    user = make_member("viewer")
    rows.make_membership(other_matter, user, "viewer")
    indexed(matter, "lease.pdf", ["The tenant shall pay rent on the first day of each month."])
    indexed(other_matter, "audit.pdf", ["The auditor found the inventory count overstated."])
    return user


def truncate_index(matter):
    path = indexes.index_dir(matter.pk) / "index.faiss"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_a_truncated_index_is_reported_by_check_index_not_a_crash(two_matters, matter):
    truncate_index(matter)

    status, lines = manage("check_index", "--matter", matter.slug)

    assert status == 1
    assert len(lines) == 1
    assert lines[0]["ok"] is False
    assert "truncated or corrupt" in lines[0]["error"]
    assert "rebuild_index" in lines[0]["error"]


def test_search_of_the_damaged_matter_is_503_and_other_matters_keep_serving(
    two_matters, api_as, matter, other_matter
):
    truncate_index(matter)
    client = api_as(two_matters)

    damaged = search(client, matter, "when is rent due")
    healthy = search(client, other_matter, "inventory count")

    assert damaged.status_code == 503
    assert damaged.json()["code"] == "temporarily_unavailable"
    assert "damaged" in damaged.json()["detail"]
    assert f"rebuild_index --matter {matter.slug}" in damaged.json()["detail"]
    assert healthy.status_code == 200
    assert "overstated" in healthy.json()["results"][0]["text"]


def test_rebuild_index_repairs_a_truncated_index_and_search_is_right_again(
    two_matters, api_as, matter
):
    truncate_index(matter)
    client = api_as(two_matters)
    assert search(client, matter, "when is rent due").status_code == 503

    rebuilt_status, rebuilt = manage("rebuild_index", "--matter", matter.slug)
    check_status, checked = manage("check_index", "--matter", matter.slug)
    after = search(client, matter, "when is rent due")

    assert rebuilt_status == 0 and rebuilt[0]["vectors"] == 1
    assert (check_status, checked[0]["ok"], checked[0]["vectors"]) == (0, True, 1)
    assert after.status_code == 200
    assert after.json()["results"][0]["text"].startswith("The tenant shall pay rent")


def test_a_deleted_index_is_found_by_check_index_and_rebuilt(two_matters, matter):
    (indexes.index_dir(matter.pk) / "index.faiss").unlink()

    broken_status, broken = manage("check_index", "--matter", matter.slug)
    manage("rebuild_index", "--matter", matter.slug)
    fixed_status, fixed = manage("check_index", "--matter", matter.slug)

    assert (broken_status, broken[0]["ok"], broken[0]["missing_count"]) == (1, False, 1)
    assert (fixed_status, fixed[0]["ok"]) == (0, True)


def test_a_document_indexed_into_a_truncated_index_repairs_it(two_matters, api_as, matter):
    truncate_index(matter)

    indexed(matter, "notice.pdf", ["Notice periods are ninety days for either party."])

    status, checked = manage("check_index", "--matter", matter.slug)
    hits = search(api_as(two_matters), matter, "how long is the notice period").json()["results"]
    assert (status, checked[0]["ok"], checked[0]["vectors"]) == (0, True, 2)
    assert hits[0]["text"].startswith("Notice periods are ninety days")
