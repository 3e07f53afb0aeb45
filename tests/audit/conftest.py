"""Fixtures of the audit tests: the front-door fixtures (users, matters, documents, the enqueue
recorder; see ``tests/api/conftest.py``), administrators, and helpers that read the log and
tamper with it the way an intruder with database access would."""

from __future__ import annotations

from contextlib import contextmanager
from unittest import mock

import pytest
from django.contrib.auth.signals import user_logged_in
from django.db import connection
from django.test import Client
from django.utils import timezone

from docproc.models import AuditEvent
from docproc.web import auth_audit
from tests.api.conftest import (  # noqa: F401  (fixtures are found by name)
    PASSWORD,
    api_as,
    bearer_as,
    editor,
    enqueued,
    make_document,
    make_member,
    make_token,
    make_user,
    manager,
    matter,
    other_matter,
    outsider,
    viewer,
)

ADDRESS = "203.0.113.7"
REQUEST_ID = "req-7f3a9c"


def events(action: str | None = None) -> list[AuditEvent]:
    """The log in order, or only the records of ``action``."""
    records = AuditEvent.objects.order_by("seq")
    return list(records.filter(action=action) if action else records)


def only(action: str) -> AuditEvent:
    """The one record of ``action`` (fails if there are none or several)."""
    (record,) = events(action)
    return record


def from_client(**extra) -> dict:
    """Request headers of a client at ADDRESS sending REQUEST_ID."""
    return {"REMOTE_ADDR": ADDRESS, "HTTP_X_REQUEST_ID": REQUEST_ID, **extra}


@contextmanager
def recorded_at(when):
    """Records made inside carry ``when`` as their time (the chain stamps with timezone.now)."""
    with mock.patch.object(timezone, "now", return_value=when):
        yield


def tamper(sql: str, params=()) -> None:
    """Run ``sql`` on the audit table as an intruder would, past the append-only trigger
    (PostgreSQL: triggers off for this transaction only)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_user(
        "root", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.fixture
def staff(db, django_user_model):
    """Staff (may use the Django admin) but neither superuser nor granted the audit log."""
    return django_user_model.objects.create_user("stella", password=PASSWORD, is_staff=True)


@pytest.fixture
def auditor(db, django_user_model):
    """Not staff, not superuser: granted ``docproc.view_auditevent`` only."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("audrey", password=PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return user


def who_what_where(record: AuditEvent) -> tuple:
    """A record's actor, matter, target, address and request id, for one exact comparison."""
    return (
        record.actor_id,
        record.actor_name,
        record.matter_id,
        record.matter_slug,
        record.target_type,
        record.target_id,
        record.client_address,
        record.request_id,
    )


def signed_in(user) -> Client:
    """A test client signed in as ``user``, without the sign-in record (so tests of the console
    see only the records they made)."""
    client = Client()
    user_logged_in.disconnect(dispatch_uid="docproc.audit.sign_in")
    try:
        client.force_login(user)
    finally:
        user_logged_in.connect(auth_audit.signed_in, dispatch_uid="docproc.audit.sign_in")
    return client
