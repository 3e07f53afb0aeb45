"""Fixtures of the compliance pages' tests: the front-door users and matters of
``tests/api/conftest.py``, a compliance officer (the "Compliance officers" group of migration
0009), an administrator, and a signed-in client."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from tests.api.conftest import (  # noqa: F401  (fixtures are found by name)
    editor,
    enqueued,
    make_member,
    make_user,
    manager,
    matter,
    other_matter,
    viewer,
)


@pytest.fixture
def compliance_officer(make_user):  # noqa: F811
    user = make_user("officer")
    user.groups.add(Group.objects.get(name="Compliance officers"))
    return user


@pytest.fixture
def superuser(make_user):  # noqa: F811
    return make_user("root", is_superuser=True, is_staff=True)


@pytest.fixture
def signed_in():
    """``signed_in(user)``: a test client with ``user``'s session."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
