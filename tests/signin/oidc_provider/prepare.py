"""Makes the provider's database: its tables, a signing key, one client (docproc) and people.

``python -m tests.signin.oidc_provider.prepare CLIENT_ID SECRET REDIRECT_URI`` with
``DJANGO_SETTINGS_MODULE=tests.signin.oidc_provider.settings``."""

import sys

import django

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oidc_provider.models import Client, ResponseType  # noqa: E402

# username -> (password, given name, surname, groups at the provider)
PEOPLE = {
    "frank": ("frank-provider-pw", "Frank", "Fisher", ["docproc-partners"]),
    "grace": ("grace-provider-pw", "Grace", "Green", []),
    "admin": ("admin-provider-pw", "Impostor", "Admin", ["docproc-partners"]),
}


def main(client_id: str, secret: str, redirect_uri: str) -> None:
    call_command("migrate", verbosity=0)
    call_command("creatersakey")
    for username, (password, given, surname, groups) in PEOPLE.items():
        user = User.objects.create_user(
            username, f"{username}@example.org", password, first_name=given, last_name=surname
        )
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    client = Client.objects.create(
        name="docproc",
        client_type="confidential",
        client_id=client_id,
        client_secret=secret,
        jwt_alg="RS256",
        require_consent=False,
        _redirect_uris=redirect_uri,
        _scope="openid email profile groups",
    )
    client.response_types.add(ResponseType.objects.get(value="code"))


if __name__ == "__main__":
    main(*sys.argv[1:4])
