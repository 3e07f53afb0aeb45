"""How people sign in, built from ``DOCPROC_*`` environment settings: local accounts always,
plus a directory (LDAP / Active Directory, django-auth-ldap) and OpenID Connect single sign-on
(mozilla-django-oidc) when configured, and the session idle time.

``django_settings()`` returns the Django settings (names and values) that ``settings.py`` adds
to its own. With nothing set, only local accounts sign in. With a directory, it is asked first
and local accounts still work after it (break-glass administrators sign in when the directory
is down). Every value is read with ``docproc.env``'s readers, so each has a ``_FILE`` variant.
"""

from __future__ import annotations

import json
from typing import Any

from docproc.env import SettingError, env_bool, env_float, env_int, env_list, env_str

LOCAL_BACKEND = "docproc.web.sign_in.ThrottledModelBackend"
LDAP_BACKEND = "docproc.web.directory_sign_in.DirectoryBackend"
OIDC_BACKEND = "docproc.web.oidc_sign_in.SingleSignOnBackend"

# DOCPROC_LDAP_GROUP_TYPE: the directory's kind of group -> (django-auth-ldap class, filter).
GROUP_TYPES = {
    "groupOfNames": ("GroupOfNamesType", "(objectClass=groupOfNames)"),
    "nestedGroupOfNames": ("NestedGroupOfNamesType", "(objectClass=groupOfNames)"),
    "groupOfUniqueNames": ("GroupOfUniqueNamesType", "(objectClass=groupOfUniqueNames)"),
    "posixGroup": ("PosixGroupType", "(objectClass=posixGroup)"),
    "activeDirectory": ("ActiveDirectoryGroupType", "(objectClass=group)"),
    "nestedActiveDirectory": ("NestedActiveDirectoryGroupType", "(objectClass=group)"),
}


def group_map(name: str) -> dict[str, tuple[str, ...]]:
    """A JSON object from directory group (a DN, or an OIDC claim's value) to one docproc group
    name or a list of them, e.g. ``{"cn=partners,ou=groups,dc=example,dc=org": "Matter
    creators"}``. Keys are compared case-insensitively (DNs are)."""
    text = env_str(name, "")
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingError(f"{name} must be a JSON object, got {text!r}: {exc}") from exc
    if not isinstance(value, dict):
        raise SettingError(f"{name} must be a JSON object of group -> docproc group(s)")
    mapping: dict[str, tuple[str, ...]] = {}
    for key, groups in value.items():
        names = [groups] if isinstance(groups, str) else groups
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise SettingError(f"{name}: {key!r} must map to a group name or a list of them")
        mapping[key.strip().lower()] = tuple(names)
    return mapping


def _attr_map(name: str, default: str) -> dict[str, str]:
    """``first_name=givenName,last_name=sn,email=mail``: Django user field = directory
    attribute."""
    pairs = {}
    for item in env_list(name, default.split(",")):
        field, sep, attribute = item.partition("=")
        if not sep or not field.strip() or not attribute.strip():
            raise SettingError(f"{name} must look like first_name=givenName,email=mail")
        pairs[field.strip()] = attribute.strip()
    return pairs


def ldap_settings() -> dict[str, Any]:
    """django-auth-ldap's settings, or ``{}`` when ``DOCPROC_LDAP_SERVER_URI`` is unset."""
    uri = env_str("DOCPROC_LDAP_SERVER_URI", "")
    if not uri:
        return {}
    # Imported only when a directory is configured: python-ldap is a C extension.
    import ldap
    from django_auth_ldap import config

    user_filter = env_str("DOCPROC_LDAP_USER_FILTER", "(uid=%(user)s)")
    user_base = env_str("DOCPROC_LDAP_USER_SEARCH_BASE", "")
    dn_template = env_str("DOCPROC_LDAP_USER_DN_TEMPLATE", "")
    if not user_base and not dn_template:
        raise SettingError(
            "DOCPROC_LDAP_SERVER_URI is set: set DOCPROC_LDAP_USER_SEARCH_BASE (with "
            "DOCPROC_LDAP_USER_FILTER) or DOCPROC_LDAP_USER_DN_TEMPLATE too"
        )
    kind = env_str("DOCPROC_LDAP_GROUP_TYPE", "groupOfNames")
    if kind not in GROUP_TYPES:
        raise SettingError(f"DOCPROC_LDAP_GROUP_TYPE must be one of {', '.join(GROUP_TYPES)}")
    type_class, default_group_filter = GROUP_TYPES[kind]
    timeout = env_float("DOCPROC_LDAP_TIMEOUT_S", 5.0)
    # A directory that does not answer must not hold a sign-in (or a web worker) for long.
    options: dict[Any, Any] = {
        ldap.OPT_NETWORK_TIMEOUT: timeout,
        ldap.OPT_TIMEOUT: timeout,
        ldap.OPT_REFERRALS: 0,  # Active Directory's referrals would need another bind
    }
    ca_file = env_str("DOCPROC_LDAP_CA_CERT_FILE", "")
    if ca_file:
        options[ldap.OPT_X_TLS_CACERTFILE] = ca_file
        options[ldap.OPT_X_TLS_REQUIRE_CERT] = ldap.OPT_X_TLS_DEMAND
        options[ldap.OPT_X_TLS_NEWCTX] = 0  # last: makes the TLS options above take effect
    result: dict[str, Any] = {
        "AUTH_LDAP_SERVER_URI": uri,
        "AUTH_LDAP_BIND_DN": env_str("DOCPROC_LDAP_BIND_DN", ""),
        "AUTH_LDAP_BIND_PASSWORD": env_str("DOCPROC_LDAP_BIND_PASSWORD", ""),
        "AUTH_LDAP_START_TLS": env_bool("DOCPROC_LDAP_START_TLS", False),
        "AUTH_LDAP_CONNECTION_OPTIONS": options,
        "AUTH_LDAP_USER_ATTR_MAP": _attr_map(
            "DOCPROC_LDAP_USER_ATTR_MAP", "first_name=givenName,last_name=sn,email=mail"
        ),
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,  # the directory is the truth for its users
        "AUTH_LDAP_CACHE_TIMEOUT": env_int("DOCPROC_LDAP_CACHE_SECONDS", 0),
        # docproc's own mapping (DirectoryBackend), not django-auth-ldap's mirroring.
        "DOCPROC_LDAP_GROUP_MAP": group_map("DOCPROC_LDAP_GROUP_MAP"),
    }
    if dn_template:
        result["AUTH_LDAP_USER_DN_TEMPLATE"] = dn_template
    else:
        result["AUTH_LDAP_USER_SEARCH"] = config.LDAPSearch(
            user_base, ldap.SCOPE_SUBTREE, user_filter
        )
    group_base = env_str("DOCPROC_LDAP_GROUP_SEARCH_BASE", "")
    if group_base:
        group_filter = env_str("DOCPROC_LDAP_GROUP_FILTER", default_group_filter)
        result["AUTH_LDAP_GROUP_SEARCH"] = config.LDAPSearch(
            group_base, ldap.SCOPE_SUBTREE, group_filter
        )
        result["AUTH_LDAP_GROUP_TYPE"] = getattr(config, type_class)()
    elif result["DOCPROC_LDAP_GROUP_MAP"]:
        raise SettingError("DOCPROC_LDAP_GROUP_MAP needs DOCPROC_LDAP_GROUP_SEARCH_BASE")
    flags = {
        flag: dn
        for flag, dn in (
            ("is_staff", env_str("DOCPROC_LDAP_STAFF_GROUP", "")),
            ("is_superuser", env_str("DOCPROC_LDAP_SUPERUSER_GROUP", "")),
        )
        if dn
    }
    if flags:
        result["AUTH_LDAP_USER_FLAGS_BY_GROUP"] = flags
    required = env_str("DOCPROC_LDAP_REQUIRE_GROUP", "")
    if required:
        result["AUTH_LDAP_REQUIRE_GROUP"] = required
    if (flags or required) and not group_base:
        # django-auth-ldap would refuse every directory sign-in then (no group type to ask).
        raise SettingError(
            "DOCPROC_LDAP_STAFF_GROUP, _SUPERUSER_GROUP and _REQUIRE_GROUP need "
            "DOCPROC_LDAP_GROUP_SEARCH_BASE"
        )
    return result


def oidc_settings() -> dict[str, Any]:
    """mozilla-django-oidc's settings, or ``{}`` when ``DOCPROC_OIDC_CLIENT_ID`` is unset.

    The provider's endpoints come from ``DOCPROC_OIDC_ISSUER`` (its discovery document, read at
    the first single sign-on, not at start-up) or are given one by one."""
    client_id = env_str("DOCPROC_OIDC_CLIENT_ID", "")
    if not client_id:
        return {}
    issuer = env_str("DOCPROC_OIDC_ISSUER", "").rstrip("/")
    endpoints = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": env_str("DOCPROC_OIDC_AUTHORIZATION_ENDPOINT", ""),
        "OIDC_OP_TOKEN_ENDPOINT": env_str("DOCPROC_OIDC_TOKEN_ENDPOINT", ""),
        "OIDC_OP_USER_ENDPOINT": env_str("DOCPROC_OIDC_USERINFO_ENDPOINT", ""),
        "OIDC_OP_JWKS_ENDPOINT": env_str("DOCPROC_OIDC_JWKS_ENDPOINT", ""),
    }
    if not issuer and not all(endpoints.values()):
        raise SettingError(
            "DOCPROC_OIDC_CLIENT_ID is set: set DOCPROC_OIDC_ISSUER, or all four of "
            "DOCPROC_OIDC_AUTHORIZATION_ENDPOINT, _TOKEN_ENDPOINT, _USERINFO_ENDPOINT and "
            "_JWKS_ENDPOINT"
        )
    return {
        "OIDC_ISSUER": issuer,
        **{name: value for name, value in endpoints.items() if value},
        "OIDC_RP_CLIENT_ID": client_id,
        "OIDC_RP_CLIENT_SECRET": env_str("DOCPROC_OIDC_CLIENT_SECRET", ""),
        "OIDC_RP_SIGN_ALGO": env_str("DOCPROC_OIDC_SIGN_ALGO", "RS256"),
        "OIDC_RP_SCOPES": " ".join(env_list("DOCPROC_OIDC_SCOPES", ["openid", "email", "profile"])),
        "OIDC_TIMEOUT": env_float("DOCPROC_OIDC_TIMEOUT_S", 10.0),
        "OIDC_VERIFY_SSL": env_bool("DOCPROC_OIDC_VERIFY_TLS", True),
        "OIDC_USE_PKCE": True,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "web:oidc-callback",
        "LOGIN_REDIRECT_URL_FAILURE": "/login/",
        "OIDC_PROVIDER_NAME": env_str("DOCPROC_OIDC_PROVIDER_NAME", "single sign-on"),
        "OIDC_USERNAME_CLAIM": env_str("DOCPROC_OIDC_USERNAME_CLAIM", "preferred_username"),
        "OIDC_GROUPS_CLAIM": env_str("DOCPROC_OIDC_GROUPS_CLAIM", "groups"),
        "OIDC_GROUP_MAP": group_map("DOCPROC_OIDC_GROUP_MAP"),
    }


def django_settings() -> dict[str, Any]:
    """Every sign-in setting: the backends in the order they are asked, and each one's own."""
    ldap = ldap_settings()
    oidc = oidc_settings()
    backends = [LDAP_BACKEND] if ldap else []
    backends.append(LOCAL_BACKEND)
    if oidc:
        backends.append(OIDC_BACKEND)
    return {
        "AUTHENTICATION_BACKENDS": backends,
        "LDAP_ENABLED": bool(ldap),
        "OIDC_ENABLED": bool(oidc),
        # A session unused this long is ended: the next request goes to the sign-in page.
        "SESSION_IDLE_SECONDS": _idle_seconds(),
        **ldap,
        **oidc,
    }


def _idle_seconds() -> int:
    """``DOCPROC_SESSION_IDLE_SECONDS``, at least a minute (less would end every session at its
    next page)."""
    seconds = env_int("DOCPROC_SESSION_IDLE_SECONDS", 1800)
    if seconds < 60:
        raise SettingError(f"DOCPROC_SESSION_IDLE_SECONDS must be at least 60, got {seconds}")
    return seconds
