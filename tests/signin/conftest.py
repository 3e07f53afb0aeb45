"""The sign-in tests: a real OpenLDAP server (``tests/support/slapd_process.py``) for the
directory, docproc's settings built from the environment as in production
(``docproc.sign_in_settings``), and users from the API tests' factory."""

from __future__ import annotations

import pytest

from docproc import sign_in_settings
from tests.api.conftest import make_user  # noqa: F401  (fixtures are found by name)
from tests.support import slapd_process

LDAP_ENVIRONMENT = {
    "DOCPROC_LDAP_BIND_DN": slapd_process.SERVICE_DN,
    "DOCPROC_LDAP_BIND_PASSWORD": slapd_process.SERVICE_PASSWORD,
    "DOCPROC_LDAP_USER_SEARCH_BASE": slapd_process.PEOPLE,
    "DOCPROC_LDAP_USER_FILTER": "(uid=%(user)s)",
    "DOCPROC_LDAP_GROUP_SEARCH_BASE": slapd_process.GROUPS,
    "DOCPROC_LDAP_GROUP_TYPE": "groupOfNames",
    "DOCPROC_LDAP_GROUP_MAP": (
        f'{{"{slapd_process.MATTER_CREATORS_DN}": "Matter creators", '
        f'"{slapd_process.COMPLIANCE_DN.upper()}": ["Compliance officers"]}}'
    ),
    "DOCPROC_LDAP_TIMEOUT_S": "3",
}


@pytest.fixture(scope="module")
def directory():
    """A running slapd with alice (matter-creators), bob (compliance) and carol (no group)."""
    why_not = slapd_process.available()
    if why_not:
        pytest.skip(f"no OpenLDAP server for the directory tests: {why_not}")
    server = slapd_process.SlapdProcess()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def sign_in_with_directory(directory, monkeypatch, settings):
    """docproc configured, from the environment, to sign in through ``directory``."""
    monkeypatch.setenv("DOCPROC_LDAP_SERVER_URI", directory.uri)
    for name, value in LDAP_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    for name, value in sign_in_settings.django_settings().items():
        setattr(settings, name, value)
    return directory
