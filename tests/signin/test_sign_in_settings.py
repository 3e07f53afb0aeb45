"""Sign-in settings from the environment (docproc/sign_in_settings.py): local accounts only by
default, the directory before local accounts when set, single sign-on after them, and clear
errors for settings that cannot work."""

from __future__ import annotations

import pytest

from docproc import sign_in_settings
from docproc.env import SettingError

LOCAL = "docproc.web.sign_in.ThrottledModelBackend"
LDAP = "docproc.web.directory_sign_in.DirectoryBackend"
OIDC = "docproc.web.oidc_sign_in.SingleSignOnBackend"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith(("DOCPROC_LDAP_", "DOCPROC_OIDC_", "DOCPROC_SESSION_IDLE")):
            monkeypatch.delenv(name)


def test_without_a_directory_or_provider_only_local_accounts_sign_in():
    built = sign_in_settings.django_settings()

    assert built["AUTHENTICATION_BACKENDS"] == [LOCAL]
    assert (built["LDAP_ENABLED"], built["OIDC_ENABLED"]) == (False, False)
    assert built["SESSION_IDLE_SECONDS"] == 1800


def test_a_directory_is_asked_before_local_accounts_and_single_sign_on_comes_last(
    monkeypatch, tmp_path
):
    secret = tmp_path / "bind-password"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("DOCPROC_LDAP_SERVER_URI", "ldap://127.0.0.1:1389")
    monkeypatch.setenv("DOCPROC_LDAP_USER_SEARCH_BASE", "ou=people,dc=example,dc=org")
    monkeypatch.setenv("DOCPROC_LDAP_BIND_PASSWORD_FILE", str(secret))
    monkeypatch.setenv("DOCPROC_LDAP_SUPERUSER_GROUP", "cn=it,ou=groups,dc=example,dc=org")
    monkeypatch.setenv("DOCPROC_LDAP_GROUP_SEARCH_BASE", "ou=groups,dc=example,dc=org")
    monkeypatch.setenv("DOCPROC_OIDC_CLIENT_ID", "docproc")
    monkeypatch.setenv("DOCPROC_OIDC_ISSUER", "https://login.example.org/realms/staff/")
    monkeypatch.setenv("DOCPROC_SESSION_IDLE_SECONDS", "600")

    built = sign_in_settings.django_settings()

    assert built["AUTHENTICATION_BACKENDS"] == [LDAP, LOCAL, OIDC]
    assert built["AUTH_LDAP_BIND_PASSWORD"] == "from-a-file"
    assert built["AUTH_LDAP_USER_SEARCH"].filterstr == "(uid=%(user)s)"
    assert built["AUTH_LDAP_USER_FLAGS_BY_GROUP"] == {
        "is_superuser": "cn=it,ou=groups,dc=example,dc=org"
    }
    assert built["OIDC_ISSUER"] == "https://login.example.org/realms/staff"
    assert built["OIDC_RP_SCOPES"] == "openid email profile"
    assert built["SESSION_IDLE_SECONDS"] == 600


def test_a_group_map_gives_one_or_more_docproc_groups_per_directory_group(monkeypatch):
    monkeypatch.setenv(
        "DOCPROC_OIDC_GROUP_MAP", '{"Partners": "Matter creators", "risk": ["A", "B"]}'
    )

    mapping = sign_in_settings.group_map("DOCPROC_OIDC_GROUP_MAP")

    assert mapping == {"partners": ("Matter creators",), "risk": ("A", "B")}


@pytest.mark.parametrize(
    "value, message",
    [
        ("cn=a,dc=b", "must be a JSON object"),
        ('["Matter creators"]', "must be a JSON object of group"),
        ('{"cn=a,dc=b": 3}', "must map to a group name or a list of them"),
    ],
)
def test_a_group_map_that_is_not_a_json_object_of_names_is_refused(monkeypatch, value, message):
    monkeypatch.setenv("DOCPROC_LDAP_GROUP_MAP", value)

    with pytest.raises(SettingError, match=message):
        sign_in_settings.group_map("DOCPROC_LDAP_GROUP_MAP")


def test_a_directory_without_a_way_to_find_people_is_refused(monkeypatch):
    monkeypatch.setenv("DOCPROC_LDAP_SERVER_URI", "ldap://127.0.0.1:1389")

    with pytest.raises(SettingError, match="DOCPROC_LDAP_USER_SEARCH_BASE"):
        sign_in_settings.django_settings()


@pytest.mark.parametrize(
    "name",
    ["DOCPROC_LDAP_STAFF_GROUP", "DOCPROC_LDAP_SUPERUSER_GROUP", "DOCPROC_LDAP_REQUIRE_GROUP"],
)
def test_a_group_flag_without_where_groups_are_is_refused(monkeypatch, name):
    monkeypatch.setenv("DOCPROC_LDAP_SERVER_URI", "ldap://127.0.0.1:1389")
    monkeypatch.setenv("DOCPROC_LDAP_USER_SEARCH_BASE", "ou=people,dc=example,dc=org")
    monkeypatch.setenv(name, "cn=it,ou=groups,dc=example,dc=org")

    with pytest.raises(SettingError, match="need DOCPROC_LDAP_GROUP_SEARCH_BASE"):
        sign_in_settings.django_settings()


@pytest.mark.parametrize("value", ["0", "-5", "59"])
def test_an_idle_time_under_a_minute_is_refused(monkeypatch, value):
    monkeypatch.setenv("DOCPROC_SESSION_IDLE_SECONDS", value)

    with pytest.raises(SettingError, match=f"at least 60, got {int(value)}"):
        sign_in_settings.django_settings()


def test_single_sign_on_without_an_issuer_or_every_endpoint_is_refused(monkeypatch):
    monkeypatch.setenv("DOCPROC_OIDC_CLIENT_ID", "docproc")
    monkeypatch.setenv("DOCPROC_OIDC_TOKEN_ENDPOINT", "https://login.example.org/token")

    with pytest.raises(SettingError, match="DOCPROC_OIDC_ISSUER"):
        sign_in_settings.django_settings()
