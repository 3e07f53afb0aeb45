"""The audit console (/console/), ``GET /api/v1/audit/`` and the Django admin's audit pages:
administrators only, filters, pagination, one record, the chain's status, and exports that
hold exactly the filtered records and are themselves audited."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from docproc.models.audit import Action, canonical_json
from docproc.services import audit
from tests.audit.conftest import events, from_client, only, recorded_at, signed_in, tamper

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def history(make_user, matter, other_matter):
    """Five records over five days: alice and bob, two matters, three actions."""
    alice, bob = make_user("alice"), make_user("bob")
    plan = [
        (1, alice, Action.SEARCH, matter, {"query": "rent"}),
        (2, alice, Action.ASK, matter, {"question": "When is rent due?"}),
        (3, bob, Action.SEARCH, other_matter, {"query": "audit"}),
        (4, alice, Action.SEARCH, other_matter, {"query": '=HYPERLINK("x")'}),
        (5, bob, Action.DOWNLOAD, matter, {"filename": "lease.pdf"}),
    ]
    made = []
    for day, user, action, in_matter, details in plan:
        with recorded_at(at(day)):
            made.append(audit.record(user, action, matter=in_matter, details=details))
    return made


def seqs_on_page(response) -> list[int]:
    return [event.seq for event in response.context["page"].object_list]


# --- who may ---------------------------------------------------------------------------------


def test_a_superuser_sees_the_console(superuser, history):
    response = signed_in(superuser).get("/console/")

    assert response.status_code == 200
    assert seqs_on_page(response) == [5, 4, 3, 2, 1]


def test_a_user_granted_the_audit_permission_sees_the_console(auditor, history):
    response = signed_in(auditor).get("/console/")

    assert response.status_code == 200
    assert seqs_on_page(response) == [5, 4, 3, 2, 1]


def test_staff_without_the_audit_permission_are_refused_and_the_refusal_is_recorded(staff):
    response = signed_in(staff).get("/console/", **from_client())

    record = only("access_denied")
    assert response.status_code == 403
    assert (record.actor_name, record.details) == (
        "stella", {"reason": "not an administrator", "status": 403, "path": "/console/"},
    )  # fmt: skip


def test_a_member_of_a_matter_cannot_export_the_log(viewer, history):
    response = signed_in(viewer).get("/console/export.csv")

    assert response.status_code == 403
    assert events("export") == []
    assert only("access_denied").details["path"] == "/console/export.csv"


def test_an_anonymous_visitor_is_sent_to_sign_in():
    response = Client().get("/console/")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/console/")
    assert events("access_denied") == []


# --- the list --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("user=alice", [4, 2, 1]),
        ("matter=acme-audit", [4, 3]),
        ("action=search", [4, 3, 1]),
        ("from=2025-03-02&to=2025-03-04", [3, 2]),
        ("from=2025-03-03T12:00:00%2B00:00", [5, 4, 3]),
        ("user=alice&action=search&matter=smith-v-jones", [1]),
        ("user=nobody", []),
    ],
)
def test_filters_select_exactly_the_matching_records(superuser, history, query, expected):
    response = signed_in(superuser).get(f"/console/?{query}")

    assert seqs_on_page(response) == expected


def test_an_invalid_filter_is_400_and_says_what_is_wrong(superuser, history):
    response = signed_in(superuser).get("/console/?from=yesterday&action=dance")

    assert response.status_code == 400
    assert response.context["errors"] == {
        "action": "'dance' is not an audited action.",
        "from": "'yesterday' is not a date or a date and time (ISO 8601).",
    }
    assert "is not an audited action" in response.content.decode()


def test_a_nul_character_in_a_filter_is_400_not_a_database_error(superuser, history):
    response = signed_in(superuser).get("/console/?user=a%00b&matter=x%00")

    assert response.status_code == 400
    assert response.context["errors"] == {
        "user": "contains a NUL character.",
        "matter": "contains a NUL character.",
    }


@pytest.mark.parametrize("path", ["/console/", "/api/v1/audit/"])
def test_a_time_with_an_offset_the_database_cannot_store_is_converted_to_utc(
    superuser, history, path
):
    # 2025-03-03 12:00 at -21:06 is 2025-03-04 09:06 UTC: records 4 and 5 are later.
    response = signed_in(superuser).get(f"{path}?from=2025-03-03T12:00:00-21:06")

    assert response.status_code == 200
    if path == "/console/":
        assert seqs_on_page(response) == [5, 4]
    else:
        assert [r["seq"] for r in response.json()["results"]] == [5, 4]


def test_the_list_shows_fifty_records_a_page_newest_first(superuser):
    for n in range(60):
        audit.record(None, Action.SEARCH, details={"n": n})

    client = signed_in(superuser)
    first, second = client.get("/console/"), client.get("/console/?page=2")

    assert seqs_on_page(first) == list(range(60, 10, -1))
    assert seqs_on_page(second) == list(range(10, 0, -1))


def test_the_older_records_link_keeps_the_filter_and_opens_the_next_page(superuser):
    for n in range(60):
        audit.record(None, Action.SEARCH, details={"n": n})
    audit.record(None, Action.EXPORT)
    client = signed_in(superuser)

    first = client.get("/console/?action=search")
    older = re.search(r'<a href="([^"]+)" rel="next">', first.content.decode()).group(1)
    second = client.get("/console/" + html.unescape(older))

    assert html.unescape(older) == "?action=search&page=2"
    assert seqs_on_page(second) == list(range(10, 0, -1))


def test_before_any_full_check_the_list_verifies_the_whole_chain(superuser, history):
    response = signed_in(superuser).get("/console/")

    page = response.content.decode()
    assert response.context["chain"] == audit.ChainStatus(ok=True, checked=5)
    assert "No full check yet." in page
    assert "All 5 records verified: none altered, none removed." in page


def test_the_list_shows_the_last_full_check_and_verifies_only_the_records_since(superuser, history):
    with recorded_at(at(6)):
        audit.full_check()
    for query in ("lease", "notice"):
        audit.record(None, Action.SEARCH, details={"query": query})

    response = signed_in(superuser).get("/console/")

    page = response.content.decode()
    assert response.context["chain"] == audit.ChainStatus(ok=True, checked=2)
    assert (
        "<strong>Last full check</strong> (2025-03-06 12:00:00 UTC): intact through record 5; "
        "all 5 records verified, none altered, none removed."
    ) in page
    assert "The 2 records added since record 5 verified: none altered, none removed." in page


def test_the_list_says_when_the_last_full_check_found_the_chain_broken(superuser, history):
    tamper("UPDATE docproc_auditevent SET details = '{}' WHERE seq = 4")
    with recorded_at(at(6)):
        audit.full_check()

    page = signed_in(superuser).get("/console/").content.decode()

    assert (
        "<strong>Last full check</strong> (2025-03-06 12:00:00 UTC): broken at record 4. "
        "Record 4 was altered: its hash does not match its content."
    ) in page


def test_the_list_names_the_record_where_the_chain_breaks(superuser, history):
    tamper("UPDATE docproc_auditevent SET details = '{}' WHERE seq = 3")

    response = signed_in(superuser).get("/console/")

    page = response.content.decode()
    assert "Broken at record 3." in page
    assert "Record 3 was altered: its hash does not match its content." in page


def test_a_record_opens_with_its_details_and_says_it_is_intact(superuser, history):
    response = signed_in(superuser).get("/console/events/2/")

    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["event"].seq == 2
    assert (response.context["intact"], response.context["linked"]) == (True, True)
    assert "When is rent due?" in page
    assert history[1].hash in page


def test_an_altered_record_says_so_on_its_page(superuser, history):
    tamper("UPDATE docproc_auditevent SET actor_name = 'mallory' WHERE seq = 2")

    response = signed_in(superuser).get("/console/events/2/")

    assert (response.context["intact"], response.context["linked"]) == (False, True)
    assert "its hash does not match its content" in response.content.decode()


# --- exports ---------------------------------------------------------------------------------


def exported(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def test_the_csv_export_holds_exactly_the_filtered_records_and_is_audited(superuser, history):
    response = signed_in(superuser).get(
        "/console/export.csv?user=alice&action=search", **from_client()
    )

    rows = list(csv.reader(io.StringIO(exported(response))))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["X-Audit-Rows"] == "2"
    assert rows == [
        ["seq", "at", "actor", "action", "matter", "target_type", "target_id",
         "client_address", "request_id", "details", "prev_hash", "hash"],
        ["1", "2025-03-01T12:00:00.000000Z", "alice", "search", "smith-v-jones", "", "", "", "",
         '{"query":"rent"}', "0" * 64, history[0].hash],
        ["4", "2025-03-04T12:00:00.000000Z", "alice", "search", "acme-audit", "", "", "", "",
         '{"query":"=HYPERLINK(\\"x\\")"}', history[2].hash, history[3].hash],
    ]  # fmt: skip
    record = only("export")
    assert (record.actor_name, record.request_id) == ("root", from_client()["HTTP_X_REQUEST_ID"])
    assert record.details == {
        "format": "csv",
        "filters": {"user": "alice", "action": "search"},
        "rows": 2,
        "through_seq": 5,
    }


def test_the_jsonl_export_holds_exactly_the_filtered_records_and_is_audited(superuser, history):
    response = signed_in(superuser).get("/console/export.jsonl?matter=acme-audit")

    lines = exported(response).splitlines()
    assert response["Content-Type"] == "application/x-ndjson"
    assert [json.loads(line)["seq"] for line in lines] == [3, 4]
    assert json.loads(lines[0]) == {
        "seq": 3,
        "at": "2025-03-03T12:00:00.000000Z",
        "actor_name": "bob",
        "action": "search",
        "matter_slug": "acme-audit",
        "target_type": "",
        "target_id": "",
        "client_address": "",
        "request_id": "",
        "details": {"query": "audit"},
        "prev_hash": history[1].hash,
        "hash": history[2].hash,
    }
    assert only("export").details == {
        "format": "jsonl",
        "filters": {"matter": "acme-audit"},
        "rows": 2,
        "through_seq": 5,
    }


def test_a_full_jsonl_export_lets_anyone_recompute_the_chain(superuser, history):
    lines = exported(signed_in(superuser).get("/console/export.jsonl")).splitlines()

    previous = "0" * 64
    for line in map(json.loads, lines):
        claimed = line.pop("hash")
        assert line["prev_hash"] == previous
        assert hashlib.sha256(canonical_json(line).encode()).hexdigest() == claimed
        previous = claimed
    assert len(lines) == 5  # the export's own record comes after the snapshot


def test_the_csv_export_defuses_cells_a_spreadsheet_would_run(superuser, make_user):
    formula = make_user("=cmd|'/c calc'!A1")
    audit.record(formula, Action.SEARCH)

    rows = list(csv.reader(io.StringIO(exported(signed_in(superuser).get("/console/export.csv")))))

    assert rows[1][2] == "'=cmd|'/c calc'!A1"


def test_an_export_with_an_invalid_filter_is_400_and_not_recorded(superuser, history):
    response = signed_in(superuser).get("/console/export.csv?to=soon")

    assert response.status_code == 400
    assert response.content.decode() == (
        "Invalid filters: to: 'soon' is not a date or a date and time (ISO 8601).\n"
    )
    assert events("export") == []


# --- the API ---------------------------------------------------------------------------------


def test_the_api_lists_records_for_an_administrator_filtered_and_paginated(
    api_as, superuser, history
):
    response = api_as(superuser).get("/api/v1/audit/?user=alice&page_size=2")

    body = response.json()
    assert response.status_code == 200
    assert (body["count"], [r["seq"] for r in body["results"]]) == (3, [4, 2])
    assert body["next"] == "http://testserver/api/v1/audit/?page=2&page_size=2&user=alice"
    assert body["results"][1] == {
        "seq": 2,
        "at": "2025-03-02T12:00:00Z",
        "actor": "alice",
        "action": "ask",
        "matter": "smith-v-jones",
        "target_type": "",
        "target_id": "",
        "client_address": "",
        "request_id": "",
        "details": {"question": "When is rent due?"},
        "prev_hash": history[0].hash,
        "hash": history[1].hash,
    }


def test_the_api_refuses_a_non_administrator_and_records_it(api_as, viewer, history):
    response = api_as(viewer).get("/api/v1/audit/", **from_client())

    assert (response.status_code, response.json()) == (
        403, {"code": "permission_denied", "detail": "Only administrators may read the audit log."},
    )  # fmt: skip
    assert only("access_denied").details == {
        "reason": "not an administrator",
        "status": 403,
        "path": "/api/v1/audit/",
    }


def test_the_api_rejects_an_invalid_filter_with_the_field_named(api_as, superuser):
    response = api_as(superuser).get("/api/v1/audit/?action=dance")

    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "invalid",
            "detail": "action: 'dance' is not an audited action.",
            "errors": {"action": ["'dance' is not an audited action."]},
        },
    )


# --- the Django admin ------------------------------------------------------------------------


def test_the_admin_shows_audit_records_read_only(superuser, history):
    client = signed_in(superuser)

    listing = client.get("/admin/docproc/auditevent/")
    record = client.get(f"/admin/docproc/auditevent/{history[0].pk}/change/")
    add = client.get("/admin/docproc/auditevent/add/")
    delete = client.post(f"/admin/docproc/auditevent/{history[0].pk}/delete/", {"post": "yes"})

    assert (listing.status_code, record.status_code) == (200, 200)
    assert (add.status_code, delete.status_code) == (403, 403)
    assert b'name="details"' not in record.content  # shown, not editable
    assert [e.action for e in events()] == [e.action for e in history] + ["access_denied"] * 2
    assert audit.verify_chain() == audit.ChainStatus(ok=True, checked=7)
