"""Fixtures of the front-door tests (API and web): users with a role in a matter, documents
made directly in the database, and a recorder standing in for the Celery enqueue.

No worker runs in these tests: processing is queued through ``ingestion.enqueue_processing``
after commit, which is replaced here by a recorder (the end-to-end tests use a real worker).
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from docproc.models import Document, DocumentStatus, Matter
from docproc.services import ingestion
from tests.factories import rows

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def enqueued(monkeypatch) -> list[int]:
    """Ids of the documents queued for processing, in order (instead of reaching Redis)."""
    calls: list[int] = []
    monkeypatch.setattr(ingestion, "enqueue_processing", calls.append)
    return calls


@pytest.fixture
def matter(db) -> Matter:
    return rows.make_matter("smith-v-jones", "Smith v Jones")


@pytest.fixture
def other_matter(db) -> Matter:
    return rows.make_matter("acme-audit", "Acme audit")


@pytest.fixture
def make_user(db):
    """``make_user(username, **extra)``: a user who signs in with ``PASSWORD``."""

    def make(username: str, **extra):
        return rows.make_user(username, PASSWORD, **extra)

    return make


@pytest.fixture
def make_member(make_user, matter):
    """``make_member(role)``: a user holding ``role`` in ``matter`` (or in ``in_matter``)."""

    def make(role: str, username: str | None = None, in_matter: Matter | None = None):
        user = make_user(username or role)
        rows.make_membership(in_matter or matter, user, role)
        return user

    return make


@pytest.fixture
def viewer(make_member):
    return make_member("viewer")


@pytest.fixture
def editor(make_member):
    return make_member("editor")


@pytest.fixture
def manager(make_member):
    return make_member("manager")


@pytest.fixture
def outsider(make_member, other_matter):
    """A user who is a member of another matter only."""
    return make_member("manager", username="outsider", in_matter=other_matter)


@pytest.fixture
def api_as():
    """``api_as(user)``: an API client authenticated as ``user`` (``None``: anonymous)."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def make_document(matter):
    """A document row of ``matter`` (or of ``in_matter``) made directly, no upload, no worker,
    optionally with page texts; see ``tests.factories.rows.make_document``."""

    def make(
        filename: str = "contract.pdf",
        status: str = DocumentStatus.INDEXED,
        pages: list[str] | None = None,
        in_matter: Matter | None = None,
        content: bytes | None = None,
        reason: str = "",
    ) -> Document:
        return rows.make_document(
            in_matter or matter,
            filename,
            pages=pages,
            status=status,
            content=content,
            reason=reason,
        )

    return make


@pytest.fixture
def make_token(db):
    """``make_token(user, scopes="read", matters=(), **extra)``: (plaintext, ApiToken)."""
    from docproc.services import tokens

    def make(user, scopes="read,write,ask,extract", matters=(), **extra):
        issued = tokens.create_token(user, scopes, matters=matters, **extra)
        return issued.plaintext, issued.token

    return make


@pytest.fixture
def bearer_as(make_token):
    """``bearer_as(user, scopes=..., matters=...)``: an API client sending a new bearer token
    of ``user`` (no session, no forced authentication)."""

    def make(user, scopes="read,write,ask,extract", matters=()) -> APIClient:
        plaintext, _ = make_token(user, scopes, matters)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        return client

    return make


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate-limit counters of earlier tests (which SQLite may give the same ids) are gone."""
    import redis
    from django.core.cache import cache

    try:
        client = cache._cache.get_client(write=True)  # the Redis client Django's cache wraps
        for key in client.scan_iter(match="*:throttle:*"):
            client.delete(key)
    except redis.RedisError:
        pass  # no Redis: nothing was counted either
    yield


@pytest.fixture
def in_group(db):
    """``in_group(user, name)``: ``user`` joins the group ``name`` made by migration 0009
    ("Matter creators", "Compliance officers"), as an administrator would grant it."""
    from django.contrib.auth.models import Group

    def join(user, name: str):
        user.groups.add(Group.objects.get(name=name))
        return type(user).objects.get(pk=user.pk)  # a fresh copy: permissions are cached

    return join


@pytest.fixture
def creator(make_user, in_group):
    """A user in the "Matter creators" group (``docproc.add_matter``), member of nothing."""
    return in_group(make_user("carol"), "Matter creators")


@pytest.fixture
def compliance_officer(make_user, in_group):
    """A user in the "Compliance officers" group (``docproc.manage_screens``), member of
    nothing."""
    return in_group(make_user("cora"), "Compliance officers")
