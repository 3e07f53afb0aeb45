"""The production settings, held to Django's deployment checklist and to the headers a browser
needs: what compose runs (``DOCPROC_HTTPS=true`` behind a TLS proxy) passes
``manage.py check --deploy --fail-level WARNING``, and the development key is refused there."""

from __future__ import annotations

import secrets

import pytest
from django.contrib.auth.hashers import identify_hasher

from tests.support.deploy_check import check_deploy

PRODUCTION = {
    "DOCPROC_DEBUG": "false",
    "DOCPROC_ALLOWED_HOSTS": "docproc.firm.internal",
    "DOCPROC_HTTPS": "true",
}


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    result = check_deploy(tmp_path, DOCPROC_SECRET_KEY=secrets.token_urlsafe(50), **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_secret_key_may_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(50) + "\n")

    result = check_deploy(tmp_path, DOCPROC_SECRET_KEY_FILE=str(key_file), **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr


def test_without_https_the_checklist_names_what_is_missing(tmp_path):
    result = check_deploy(
        tmp_path, DOCPROC_SECRET_KEY=secrets.token_urlsafe(50), DOCPROC_DEBUG="false"
    )

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


def test_https_with_the_development_key_is_refused(tmp_path):
    result = check_deploy(tmp_path, **PRODUCTION)

    assert result.returncode != 0
    assert "needs a secret key of its own" in result.stderr


@pytest.mark.django_db
def test_staff_passwords_are_hashed_with_argon2(django_user_model):
    user = django_user_model.objects.create_user("paula", password="correct horse battery")

    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password("correct horse battery")
