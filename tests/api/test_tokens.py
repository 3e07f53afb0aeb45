"""Bearer tokens: stored hashed, expiring, revocable, scoped to verbs and to matters; the
commands that make and revoke them."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from docproc.models import ApiToken, DocumentStatus, Job, Membership, Role, Scope
from tests.api.conftest import PASSWORD
from tests.factories.rows import make_membership

pytestmark = pytest.mark.django_db


def bearer(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def rows_containing(text: str) -> list[str]:
    """Tables (PostgreSQL: every table, whole rows as text) in which ``text`` occurs."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT count(*) FROM {quoted} t WHERE t::text LIKE %s", [f"%{text}%"])
            if cursor.fetchone()[0]:
                found.append(table)
    return found


# --- at rest --------------------------------------------------------------------------------


def test_token_is_stored_only_as_its_sha256_with_an_8_character_prefix(make_token, viewer):
    plaintext, token = make_token(viewer, "read")

    token.refresh_from_db()
    assert plaintext.startswith("dp_") and len(plaintext) == 46
    assert token.prefix == plaintext[:8]
    assert token.secret_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in json.dumps(
        list(ApiToken.objects.values()), default=str
    )  # fmt: skip


@pytest.mark.skipif(connection.vendor != "postgresql", reason="scans rows as text (PostgreSQL)")
def test_the_plaintext_token_is_nowhere_in_the_database(make_token, viewer):
    plaintext, token = make_token(viewer, "read")
    bearer(plaintext).get("/api/v1/matters/")

    assert rows_containing(plaintext[8:]) == []
    assert rows_containing(token.secret_hash) == ["docproc_apitoken"]


def test_two_tokens_never_share_a_prefix_or_secret(make_token, viewer):
    made = [make_token(viewer, "read") for _ in range(20)]

    assert len({token.prefix for _, token in made}) == 20
    assert len({plaintext for plaintext, _ in made}) == 20


# --- authentication -------------------------------------------------------------------------


def test_a_valid_token_authenticates_as_its_user_and_records_its_use(make_token, viewer, matter):
    plaintext, token = make_token(viewer, "read")

    response = bearer(plaintext).get("/api/v1/matters/")

    assert response.status_code == 200
    assert [m["slug"] for m in response.json()["results"]] == ["smith-v-jones"]
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Bearer dp_" + "x" * 43, "Invalid token."),
        ("Bearer not-even-a-token", "Invalid token."),
        ("Bearer", "Invalid Authorization header: give exactly one token after 'Bearer'."),
        ("Bearer a b", "Invalid Authorization header: give exactly one token after 'Bearer'."),
    ],
    ids=["unknown", "malformed", "missing", "two-words"],
)
def test_a_bad_bearer_header_gets_401_authentication_failed(api_as, viewer, header, detail):
    response = api_as(None).get("/api/v1/matters/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json() == {"code": "authentication_failed", "detail": detail}
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


def test_a_revoked_token_gets_401_saying_so(make_token, viewer):
    plaintext, token = make_token(viewer, "read")
    call_command("revoke_api_token", token.prefix, stdout=io.StringIO())

    response = bearer(plaintext).get("/api/v1/matters/")

    assert response.status_code == 401
    assert response.json() == {
        "code": "authentication_failed",
        "detail": "This token has been revoked.",
    }


def test_an_expired_token_gets_401_saying_so(make_token, viewer):
    plaintext, token = make_token(viewer, "read", expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = bearer(plaintext).get("/api/v1/matters/")

    assert response.status_code == 401
    assert response.json() == {"code": "authentication_failed", "detail": "This token has expired."}


def test_a_token_not_yet_expired_works(make_token, viewer):
    plaintext, _ = make_token(viewer, "read", expires_in_days=0.01)

    assert bearer(plaintext).get("/api/v1/matters/").status_code == 200


def test_a_token_of_a_deactivated_user_gets_401(make_token, viewer):
    plaintext, _ = make_token(viewer, "read")
    viewer.is_active = False
    viewer.save()

    response = bearer(plaintext).get("/api/v1/matters/")

    assert response.status_code == 401
    assert response.json()["detail"] == "The user of this token is inactive."


def test_session_users_are_not_scoped(viewer, matter):
    client = APIClient()
    assert client.login(username="viewer", password=PASSWORD)

    response = client.post(f"/api/v1/matters/{matter.pk}/search/", {"query": ""}, format="json")

    assert response.status_code == 400  # past authentication and scopes, stopped by validation


# --- scopes ---------------------------------------------------------------------------------

# (method, path, body, scope needed, status once the scope is granted). The granted requests
# are chosen to stop early (validation, state) so that no LLM or index is needed.
ENDPOINTS = [
    ("get", "/api/v1/matters/", None, "read", 200),
    ("get", "/api/v1/matters/{matter}/", None, "read", 200),
    ("get", "/api/v1/matters/{matter}/documents/", None, "read", 200),
    ("post", "/api/v1/matters/{matter}/documents/", {}, "write", 400),
    ("post", "/api/v1/matters/{matter}/search/", {"query": ""}, "ask", 400),
    ("post", "/api/v1/matters/{matter}/ask/", {"question": ""}, "ask", 400),
    ("get", "/api/v1/documents/{document}/", None, "read", 200),
    ("delete", "/api/v1/documents/{document}/", None, "write", 200),
    ("get", "/api/v1/documents/{document}/pages/1/", None, "read", 200),
    ("get", "/api/v1/documents/{document}/chunks/", None, "read", 200),
    ("get", "/api/v1/documents/{document}/original/", None, "read", 404),  # no blob stored
    ("post", "/api/v1/documents/{document}/password/", {"password": "x"}, "write", 409),
    ("post", "/api/v1/documents/{document}/reprocess/", None, "write", 409),
    ("get", "/api/v1/documents/{document}/summary/", None, "extract", 409),
    ("post", "/api/v1/documents/{document}/summary/", {}, "extract", 409),
    ("post", "/api/v1/documents/{document}/extract/", {"schema": "contract"}, "extract", 409),
    ("get", "/api/v1/jobs/{job}/", None, "extract", 200),
]


@pytest.fixture
def objects(editor, make_document):
    """A matter the editor belongs to, a document still being processed, and a job of it."""
    document = make_document(status=DocumentStatus.PARSING, pages=["Invoices are due."])
    job = Job.objects.create(user=editor, document=document, kind="summary")
    return {"matter": document.matter_id, "document": document.pk, "job": job.pk}


def call(client, method, path, body, objects):
    return getattr(client, method)(path.format(**objects), body, format="json")


@pytest.mark.parametrize(
    ("method", "path", "body", "scope", "granted"),
    ENDPOINTS,
    ids=[f"{m}-{p.split('v1/')[1]}" for m, p, *_ in ENDPOINTS],
)
def test_a_token_without_the_needed_scope_gets_403_insufficient_scope(
    make_token, editor, objects, method, path, body, scope, granted
):
    others = [s for s in Scope.values if s != scope]
    plaintext, _ = make_token(editor, others)

    response = call(bearer(plaintext), method, path, body, objects)

    assert response.status_code == 403
    has = ", ".join(others)
    assert response.json() == {
        "code": "insufficient_scope",
        "detail": f"This token lacks the '{scope}' scope needed here (it has: {has}).",
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "scope", "granted"),
    ENDPOINTS,
    ids=[f"{m}-{p.split('v1/')[1]}" for m, p, *_ in ENDPOINTS],
)
def test_a_token_with_only_the_needed_scope_is_let_through(
    make_token, editor, objects, method, path, body, scope, granted
):
    plaintext, _ = make_token(editor, scope)

    response = call(bearer(plaintext), method, path, body, objects)

    assert response.status_code == granted, response.json()


def test_a_scope_never_raises_a_role(make_token, viewer, make_document):
    document = make_document()
    plaintext, _ = make_token(viewer, "write")

    response = bearer(plaintext).delete(f"/api/v1/documents/{document.pk}/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def api_views():
    """Every view class routed under /api/v1/."""
    found = []

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "view_class"):
                found.append(pattern.callback.view_class)

    resolver = get_resolver()
    api = next(p for p in resolver.url_patterns if str(p.pattern) == "api/v1/")
    walk(api.url_patterns)
    return found


def test_every_api_view_declares_a_scope_for_every_method_it_has():
    missing = [
        f"{view.__name__}.{method}"
        for view in api_views()
        for method in ("get", "post", "put", "patch", "delete")
        if hasattr(view, method) and method.upper() not in view.scopes
    ]

    assert missing == []


# --- matter-limited tokens ------------------------------------------------------------------


@pytest.fixture
def two_matters(make_member, matter, other_matter, make_document):
    """A user who manages both matters, with a document in each."""
    user = make_member("manager", "mona")
    make_membership(other_matter, user, Role.MANAGER)
    here = make_document("here.pdf", pages=["here"])
    there = make_document("there.pdf", pages=["there"], in_matter=other_matter)
    return user, here, there


def test_a_matter_limited_token_lists_only_its_matters(make_token, two_matters, matter):
    user, _, _ = two_matters
    plaintext, _ = make_token(user, "read", matters=[matter])

    response = bearer(plaintext).get("/api/v1/matters/")

    assert [m["slug"] for m in response.json()["results"]] == ["smith-v-jones"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/matters/{other}/",
        "/api/v1/matters/{other}/documents/",
        "/api/v1/documents/{there}/",
        "/api/v1/documents/{there}/pages/1/",
        "/api/v1/documents/{there}/original/",
    ],
)
def test_a_matter_limited_token_gets_404_for_any_other_matter(
    make_token, two_matters, matter, other_matter, path
):
    user, _, there = two_matters
    plaintext, _ = make_token(user, "read", matters=[matter])

    response = bearer(plaintext).get(path.format(other=other_matter.pk, there=there.pk))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_token_whose_only_matter_is_deleted_sees_no_matter_not_every_matter(
    make_token, two_matters, matter, other_matter
):
    user, here, there = two_matters
    plaintext, token = make_token(user, "read", matters=[matter])

    here.delete()  # a matter with documents cannot be deleted
    matter.delete()
    client = bearer(plaintext)

    assert client.get("/api/v1/matters/").json()["results"] == []
    assert client.get(f"/api/v1/matters/{other_matter.pk}/").status_code == 404
    assert client.get(f"/api/v1/documents/{there.pk}/").status_code == 404
    token.refresh_from_db()
    assert (token.limited_to_matters, token.matter_ids) == (True, frozenset())


def test_a_matter_limited_token_reads_its_own_matter(make_token, two_matters, matter):
    user, here, _ = two_matters
    plaintext, _ = make_token(user, "read", matters=[matter])

    response = bearer(plaintext).get(f"/api/v1/documents/{here.pk}/")

    assert response.status_code == 200


def test_a_matter_limited_token_cannot_delete_in_another_matter(make_token, two_matters, matter):
    user, _, there = two_matters
    plaintext, _ = make_token(user, "write", matters=[matter])

    response = bearer(plaintext).delete(f"/api/v1/documents/{there.pk}/")

    assert response.status_code == 404


def test_a_token_loses_a_matter_with_its_users_membership(make_token, viewer, matter):
    plaintext, _ = make_token(viewer, "read", matters=[matter])
    Membership.objects.filter(user=viewer).delete()

    response = bearer(plaintext).get(f"/api/v1/matters/{matter.pk}/")

    assert response.status_code == 404


def test_a_token_cannot_be_limited_to_a_matter_its_user_is_not_in(make_token, viewer, other_matter):
    from docproc.services.tokens import TokenError

    with pytest.raises(TokenError, match="viewer is not a member of the matter acme-audit"):
        make_token(viewer, "read", matters=[other_matter])


# --- commands -------------------------------------------------------------------------------


def run_command(*args) -> dict:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def test_create_api_token_prints_the_token_once_with_what_it_allows(viewer, matter):
    printed = run_command(
        "create_api_token", "--user", "viewer", "--matter", "smith-v-jones",
        "--scopes", "ask,read", "--expires", "30", "--name", "billing sync",
    )  # fmt: skip

    token = ApiToken.objects.get(prefix=printed["token"][:8])
    assert printed["prefix"] == token.prefix
    assert (printed["user"], printed["name"], printed["scopes"], printed["matters"]) == (
        "viewer", "billing sync", ["read", "ask"], ["smith-v-jones"],
    )  # fmt: skip
    assert printed["state"] == "active"
    assert printed["revoked_at"] is None and printed["last_used_at"] is None
    expires = token.expires_at - token.created_at
    assert timedelta(days=30) - timedelta(seconds=5) < expires <= timedelta(days=30)
    assert bearer(printed["token"]).get(f"/api/v1/matters/{matter.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody", "--scopes", "read"], "no user named 'nobody'"),
        (["--user", "viewer", "--scopes", "read,admin"], "Unknown scope(s): admin"),
        (["--user", "viewer", "--scopes", " , "], "Give at least one scope"),
        (["--user", "viewer", "--scopes", "read", "--matter", "nope"], "no matter with slug"),
        (["--user", "viewer", "--scopes", "read", "--expires", "0"], "positive number of days"),
    ],
)
def test_create_api_token_refuses_what_it_cannot_make(viewer, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("create_api_token", *args, stdout=io.StringIO())

    assert ApiToken.objects.count() == 0


def test_revoke_api_token_revokes_by_prefix_once(make_token, viewer):
    _, token = make_token(viewer, "read")

    first = run_command("revoke_api_token", token.prefix)
    second = run_command("revoke_api_token", token.prefix)

    assert (first["revoked"], first["state"]) == (True, "revoked")
    assert (second["revoked"], second["revoked_at"]) == (False, first["revoked_at"])


def test_revoke_api_token_of_an_unknown_prefix_fails():
    with pytest.raises(CommandError, match="no token with prefix 'dp_nope1'"):
        call_command("revoke_api_token", "dp_nope1", stdout=io.StringIO())
