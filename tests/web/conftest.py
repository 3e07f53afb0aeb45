"""The web tests share the API tests' fixtures (users, matters, documents, the enqueue
recorder); see ``tests/api/conftest.py``. The matter pages add a matter creator and a
signed-in client."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from tests.api.conftest import (  # noqa: F401  (fixtures are found by name)
    editor,
    enqueued,
    make_document,
    make_member,
    make_user,
    manager,
    matter,
    other_matter,
    outsider,
    viewer,
)


@pytest.fixture
def creator(make_user):  # noqa: F811
    """A user in the "Matter creators" group (migration 0009), who may create matters."""
    user = make_user("creator")
    user.groups.add(Group.objects.get(name="Matter creators"))
    return user


@pytest.fixture
def signed_in():
    """``signed_in(user)``: a test client with ``user``'s session."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
