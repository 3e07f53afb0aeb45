"""``manage.py ensure_admin``: create the first administrator once, and say how to log in.

Prints one JSON object: ``{"username": ..., "password": ..., "created": ...}``.

- The user is missing: it is created as a superuser with a random password, which is printed and
  kept in the password file (mode 600) so that later runs can print it again.
- The user exists: the password from the password file is printed if the file is there and still
  matches; otherwise ``"password"`` is ``null`` and ``"detail"`` says why. An existing password is
  never changed unless ``--reset`` is given.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Create the superuser (default 'admin') with a random password if missing; print JSON."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-file",
            type=Path,
            default=None,
            help="where the generated password is kept (default: DATA_DIR/USERNAME-password.txt)",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="give an existing user a new random password (and store it)",
        )

    def handle(self, *args, **options) -> None:
        username: str = options["username"]
        password_file: Path = options["password_file"] or (
            Path(settings.DATA_DIR) / f"{_safe_name(username)}-password.txt"
        )
        user_model = get_user_model()
        result: dict[str, object] = {"username": username}

        with transaction.atomic():
            user = (
                user_model.objects.select_for_update()
                .filter(**{user_model.USERNAME_FIELD: username})
                .first()
            )
            if user is None:
                password = _new_password()
                user_model.objects.create_superuser(
                    username=username, email=options["email"], password=password
                )
                _write_secret(password_file, password)
                result.update(password=password, created=True)
            elif not user.is_superuser:
                raise CommandError(
                    f"user {username!r} exists but is not a superuser; "
                    "pick another --username or promote it in the admin"
                )
            elif options["reset"]:
                password = _new_password()
                user.set_password(password)
                user.save(update_fields=["password"])
                _write_secret(password_file, password)
                result.update(password=password, created=False, reset=True)
            else:
                result.update(_stored_password(user, password_file), created=False)

        self.stdout.write(json.dumps(result))


def _new_password() -> str:
    return secrets.token_urlsafe(18)


def _safe_name(username: str) -> str:
    """A file-name-safe form of a username (Django allows @ . + - _ and letters/digits)."""
    return "".join(ch if ch.isalnum() or ch in "@.+-_" else "_" for ch in username) or "user"


def _stored_password(user, password_file: Path) -> dict[str, object]:
    try:
        stored = password_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return {
            "password": None,
            "detail": f"the user already existed and {password_file} is missing; "
            "its password was not changed (use --reset to set a new one)",
        }
    if not user.check_password(stored):
        return {
            "password": None,
            "detail": f"the password in {password_file} no longer matches (it was changed "
            "since); use --reset to set a new one",
        }
    return {"password": stored}


def _write_secret(path: Path, secret: str) -> None:
    """Write ``secret`` readable by the owner only, atomically (never a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secret + "\n")
        os.chmod(tmp, 0o600)  # O_CREAT's mode is ignored if tmp already existed
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
