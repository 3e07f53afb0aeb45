"""The web tests share the API tests' fixtures (users, matters, documents, the enqueue
recorder); see ``tests/api/conftest.py``."""

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
