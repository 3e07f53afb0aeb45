"""``manage.py ensure_admin``: the run command's way to hand the first login to a person."""

from __future__ import annotations

import io
import json
import stat

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def ensure_admin(*args: str) -> dict:
    out = io.StringIO()
    call_command("ensure_admin", *args, stdout=out)
    return json.loads(out.getvalue())


def test_missing_admin_is_created_as_superuser_with_the_printed_password(tmp_path):
    password_file = tmp_path / "admin-password.txt"

    result = ensure_admin("--password-file", str(password_file))

    user = get_user_model().objects.get(username="admin")
    assert result["username"] == "admin"
    assert result["created"] is True
    assert user.is_superuser and user.is_staff
    assert user.check_password(result["password"])


def test_generated_password_is_kept_in_a_file_only_its_owner_can_read(tmp_path):
    password_file = tmp_path / "var" / "admin-password.txt"

    result = ensure_admin("--password-file", str(password_file))

    assert password_file.read_text() == result["password"] + "\n"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600


def test_second_run_prints_the_same_password_and_creates_nothing(tmp_path):
    password_file = tmp_path / "admin-password.txt"
    first = ensure_admin("--password-file", str(password_file))

    second = ensure_admin("--password-file", str(password_file))

    assert second == {"username": "admin", "password": first["password"], "created": False}
    assert get_user_model().objects.filter(username="admin").count() == 1


def test_existing_admin_without_password_file_keeps_its_password(tmp_path):
    get_user_model().objects.create_superuser("admin", "", "chosen-by-a-person-1")

    result = ensure_admin("--password-file", str(tmp_path / "absent.txt"))

    assert result["password"] is None
    assert result["created"] is False
    assert "--reset" in result["detail"]
    assert get_user_model().objects.get(username="admin").check_password("chosen-by-a-person-1")


def test_stale_password_file_is_not_printed_as_if_it_still_worked(tmp_path):
    password_file = tmp_path / "admin-password.txt"
    ensure_admin("--password-file", str(password_file))
    user = get_user_model().objects.get(username="admin")
    user.set_password("changed-in-the-ui-2")
    user.save()

    result = ensure_admin("--password-file", str(password_file))

    assert result["password"] is None
    assert "no longer matches" in result["detail"]


def test_reset_sets_and_stores_a_new_password(tmp_path):
    password_file = tmp_path / "admin-password.txt"
    first = ensure_admin("--password-file", str(password_file))

    reset = ensure_admin("--password-file", str(password_file), "--reset")

    assert reset["password"] != first["password"]
    assert reset["created"] is False
    assert get_user_model().objects.get(username="admin").check_password(reset["password"])
    assert password_file.read_text() == reset["password"] + "\n"


def test_username_option_names_the_user_and_its_default_password_file(settings, tmp_path):
    settings.DATA_DIR = tmp_path

    result = ensure_admin("--username", "ops")

    assert result["username"] == "ops"
    assert (tmp_path / "ops-password.txt").read_text() == result["password"] + "\n"


def test_existing_ordinary_user_of_that_name_is_refused(tmp_path):
    get_user_model().objects.create_user("admin")

    with pytest.raises(CommandError, match="not a superuser"):
        ensure_admin("--password-file", str(tmp_path / "admin-password.txt"))
