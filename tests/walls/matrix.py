"""The ethical-walls matrix: every route of the URL conf × every persona × the methods the route
offers (GET and HEAD always), called with matter A's ids.

Every route the URL conf has must be known here: an entry in ``ROUTES`` says which door it is
(API, UI, console, public, or the user's own data), how to fill its path and which bodies to
send; routes under ``admin/`` are filled by one rule (``_admin_route``). A route added later
without an entry is reported by ``unknown_routes`` and fails ``tests/walls/test_matrix.py``.

What each call must give is decided by ``expect`` from the door and the persona: outsiders get
404 for A's objects (never a 403 that would reveal them), recorded as a denial; bad tokens and
anonymous get 401 on the API and the sign-in page on the UI; and no response to anyone outside
A carries A's markers (``tests/walls/world.py``). The administrator persona is a deliberate
break-glass role: it sees every matter's file and matter names in the Django admin, the audit
console and the audit API, never a document's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from docproc.models import AuditEvent, Document, Membership, Scope, Screen, UserSession
from docproc.models.audit import Action
from tests.walls import world as w

GET_HEAD = ("GET", "HEAD")

# The doors a route can be behind.
API = "api"  # /api/v1/ object routes of matter A
API_OWN = "api-own"  # /api/v1/ listing of the caller's own matters
API_ADMIN = "api-admin"  # /api/v1/audit/: administrators only
# /api/v1/ screens of matter A: superusers and compliance officers, members or not; A's members
# without the permission get 403, anyone else 404 (recorded)
API_COMPLIANCE = "api-compliance"
UI = "ui"  # staff pages of matter A's objects
UI_OWN = "ui-own"  # staff pages of the user's own things (home, tokens)
CONSOLE = "console"  # the audit console: administrators only
ADMIN = "admin"  # the Django admin: superusers only (break-glass)
PUBLIC = "public"  # not matter data: anyone may call it
# /compliance/: superusers and compliance officers (a permission, not a matter role); anyone
# else signed in gets 403, as ``docproc/compliance/access.py`` answers (the pages are not one
# matter's, so a 403 reveals nothing). Compliance officers: ``tests/compliance/``.
COMPLIANCE = "compliance"
CREATE = "ui-create"  # creating a matter: ``docproc.add_matter`` (superusers have it), else 403

# Personas a COMPLIANCE door lets in (superusers; a compliance-officer persona joins them when
# the world has one), and a CREATE door (superusers hold every permission).
COMPLIANCE_PERSONAS = frozenset({"superuser"})
CREATE_PERSONAS = frozenset({"superuser"})


def _fresh_upload(world: w.World) -> dict:
    return {"file": SimpleUploadedFile("walls-upload.txt", b"an upload by the matrix\n")}


@dataclass(frozen=True)
class Route:
    """How to call one route and what it is.

    ``methods``: the methods it offers besides GET/HEAD (which are always tried), each with a
    function of the world giving its body (``None``: no body). ``ok``: what A's editor gets per
    method (viewer: ``viewer_ok``, else the same for GET/HEAD and 403 for writes).
    ``destructive``: methods that would change A's document for the rest of the run, not sent by
    insiders (the deletion tests send them). ``shows``: the marker A's editor's GET must carry
    (so the matrix cannot pass on routes that show nothing). ``json``: bodies sent as JSON.
    """

    door: str
    fill: Callable[[w.World], dict[str, object]] = lambda world: {}
    methods: dict[str, Callable[[w.World], dict | None]] = field(default_factory=dict)
    ok: dict[str, frozenset[int]] = field(default_factory=dict)
    viewer_ok: dict[str, frozenset[int]] = field(default_factory=dict)
    owner_only: bool = False
    destructive: frozenset[str] = frozenset()
    shows: str | None = None
    json: bool = True
    reason: str = ""
    anyone: frozenset[int] = frozenset({200})  # PUBLIC: what any persona gets


def _s(*codes: int) -> frozenset[int]:
    return frozenset(codes)


OK = _s(200)


def _matter(world: w.World) -> dict[str, object]:
    return {"matter_id": world.matter_a.pk}


def _document(world: w.World) -> dict[str, object]:
    return {"document_id": world.document_a.pk}


def _page(world: w.World) -> dict[str, object]:
    return {"document_id": world.document_a.pk, "number": 1}


def _member(world: w.World) -> dict[str, object]:
    return {"matter_id": world.matter_a.pk, "username": world.users["editor_a"].username}


def _screen(world: w.World) -> dict[str, object]:
    assert world.screen_a is not None
    return {"screen_id": world.screen_a.pk}


def _reason(world: w.World) -> dict:
    return {"reason": "the walls matrix"}


NO = _s(403)  # what A's editor gets on a manager's route (A has no manager among the personas)


def _walls_user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get_or_create(username=username)[0]


def _compliance_screen(world: w.World) -> dict[str, object]:
    """A screen of a user (not a persona) from matter A, made once per world, for the
    compliance pages to lift (``world.screen_a`` stays for the API's walk)."""
    user = _walls_user("walls-screened")
    screen = Screen.objects.filter(matter=world.matter_a, user=user).first()
    if screen is None:
        screen = Screen.objects.create(matter=world.matter_a, user=user, reason="walls")
    return {"screen_id": screen.pk}


def _screen_someone(world: w.World) -> dict:
    _walls_user("walls-conflicted")
    return {"matter": world.matter_a.pk, "username": "walls-conflicted", "reason": "walls"}


# A's editor and viewer are no managers: every manager's page refuses them (403, audited).
MANAGERS_ONLY = {"GET": _s(403), "HEAD": _s(403), "POST": _s(403)}


def _managers_page(fill: Callable[[w.World], dict[str, object]], body: dict) -> Route:
    return Route(
        UI,
        fill,
        methods={"POST": lambda world: body},
        ok=MANAGERS_ONLY,
        viewer_ok=MANAGERS_ONLY,
        json=False,
    )


ROUTES: dict[str, Route] = {
    # --- REST API ----------------------------------------------------------------------------
    "api/v1/matters/": Route(
        API_OWN,
        # Only the superuser holds docproc.add_matter: 201, then 409 on the second walk.
        methods={
            "POST": lambda world: {"slug": f"matrix-made-{world.matter_a.pk}", "name": "Made"}
        },
        ok={"POST": _s(201, 409)},
        shows=w.MATTER_MARK,
        reason="the caller's own matters; creating one needs docproc.add_matter",
    ),
    "api/v1/matters/<int:matter_id>/": Route(
        API,
        _matter,
        methods={
            "PATCH": lambda world: {"name": "renamed by the matrix"},
            "DELETE": lambda w: None,
        },
        ok={"PATCH": NO},
        destructive=frozenset({"DELETE"}),
        shows=w.MATTER_MARK,
    ),
    "api/v1/matters/<int:matter_id>/close/": Route(
        API, _matter, methods={"POST": _reason}, ok={"POST": NO}
    ),
    "api/v1/matters/<int:matter_id>/reopen/": Route(
        API, _matter, methods={"POST": _reason}, ok={"POST": NO}
    ),
    "api/v1/matters/<int:matter_id>/members/": Route(
        API,
        _matter,
        methods={
            "POST": lambda world: {"username": world.users["member_b"].username, "role": "viewer"}
        },
        ok={"GET": OK, "HEAD": OK, "POST": NO},
    ),
    "api/v1/matters/<int:matter_id>/members/<str:username>/": Route(
        API,
        _member,
        methods={"PATCH": lambda world: {"role": "viewer"}, "DELETE": _reason},
        ok={"PATCH": NO, "DELETE": NO},
    ),
    "api/v1/matters/<int:matter_id>/hold/": Route(
        API, _matter, methods={"POST": _reason, "DELETE": _reason}, ok={"POST": NO, "DELETE": NO}
    ),
    "api/v1/matters/<int:matter_id>/screens/": Route(
        API_COMPLIANCE,
        _matter,
        methods={
            "POST": lambda world: {"username": world.users["member_b"].username, "reason": "x"}
        },
        ok={"GET": OK, "HEAD": OK, "POST": _s(201, 409)},  # 409: screened on an earlier walk
        reason="ethical walls: compliance officers and superusers",
    ),
    "api/v1/screens/<int:screen_id>/": Route(
        API_COMPLIANCE,
        _screen,
        methods={"DELETE": _reason},
        ok={"DELETE": _s(200, 409)},  # 409: lifted on an earlier walk
        reason="ethical walls: compliance officers and superusers",
    ),
    "api/v1/documents/<int:document_id>/hold/": Route(
        API, _document, methods={"POST": _reason, "DELETE": _reason}, ok={"POST": NO, "DELETE": NO}
    ),
    "api/v1/matters/<int:matter_id>/documents/": Route(
        API,
        _matter,
        methods={"POST": _fresh_upload},
        ok={"GET": OK, "HEAD": OK, "POST": _s(200, 201)},
        shows=w.FILE_MARK,
        json=False,
    ),
    "api/v1/matters/<int:matter_id>/search/": Route(
        API,
        _matter,
        methods={"POST": lambda world: {"query": w.QUERY, "k": 5}},
        ok={"POST": OK},
        viewer_ok={"POST": OK},
        shows=w.TEXT_MARK,
    ),
    "api/v1/matters/<int:matter_id>/ask/": Route(
        API,
        _matter,
        methods={"POST": lambda world: {"question": w.QUESTION}},
        ok={"POST": OK},
        viewer_ok={"POST": OK},
        shows=w.TEXT_MARK,
    ),
    "api/v1/documents/<int:document_id>/summary/": Route(
        API,
        _document,
        methods={"POST": lambda world: {}},
        ok={"GET": OK, "HEAD": OK, "POST": OK},
        viewer_ok={"GET": OK, "HEAD": OK, "POST": OK},
        shows=w.TEXT_MARK,
    ),
    "api/v1/documents/<int:document_id>/extract/": Route(
        API,
        _document,
        methods={"POST": lambda world: {"schema": "contract"}},
        # The model is down in the matrix: a clear 503, and still nothing of A to others.
        ok={"POST": _s(200, 503)},
        viewer_ok={"POST": _s(200, 503)},
    ),
    "api/v1/documents/<int:document_id>/": Route(
        API,
        _document,
        methods={"DELETE": lambda world: None},
        destructive=frozenset({"DELETE"}),
        shows=w.FILE_MARK,
    ),
    "api/v1/documents/<int:document_id>/pages/<int:number>/": Route(API, _page, shows=w.TEXT_MARK),
    "api/v1/documents/<int:document_id>/chunks/": Route(API, _document, shows=w.TEXT_MARK),
    "api/v1/documents/<int:document_id>/original/": Route(API, _document, shows=w.FILE_MARK),
    "api/v1/documents/<int:document_id>/password/": Route(
        API,
        _document,
        methods={"POST": lambda world: {"password": "not-needed"}},
        ok={"POST": _s(409)},  # A's document is not encrypted
    ),
    "api/v1/documents/<int:document_id>/reprocess/": Route(
        API,
        _document,
        methods={"POST": lambda world: {}},
        destructive=frozenset({"POST"}),
    ),
    "api/v1/jobs/<uuid:job_id>/": Route(
        API, lambda world: {"job_id": world.job_a.pk}, owner_only=True, shows=w.TEXT_MARK
    ),
    "api/v1/audit/": Route(API_ADMIN, reason="the audit log: administrators only"),
    # --- schema and docs: describe the API, hold no matter data --------------------------------
    "api/schema/": Route(
        PUBLIC, reason="the API's description, no matter data", anyone=_s(200, 401)
    ),
    "api/docs/": Route(PUBLIC, reason="Swagger UI shell, no matter data", anyone=_s(200, 302)),
    "api/redoc/": Route(PUBLIC, reason="Redoc shell, no matter data", anyone=_s(200, 302)),
    "healthz": Route(PUBLIC, reason="up or down only", anyone=_s(200)),
    # --- staff UI ------------------------------------------------------------------------------
    "": Route(UI_OWN, shows=w.MATTER_MARK, reason="the user's own matters"),
    "login/": Route(PUBLIC, methods={}, reason="the sign-in form", anyone=_s(200, 302)),
    "logout/": Route(
        PUBLIC,
        methods={"POST": lambda world: {}},
        reason="signs the caller out; POST only",
        anyone=_s(200, 302, 405),
    ),
    "matters/<int:matter_id>/": Route(
        UI,
        _matter,
        methods={"POST": lambda world: {"files": _fresh_upload(world)["file"]}},
        ok={"GET": OK, "HEAD": OK, "POST": _s(302)},
        shows=w.FILE_MARK,
        json=False,
    ),
    "documents/<int:document_id>/": Route(UI, _document, shows=w.TEXT_MARK, json=False),
    "matters/<int:matter_id>/ask/": Route(
        UI,
        _matter,
        methods={"POST": lambda world: {"question": w.QUESTION}},
        ok={"GET": OK, "HEAD": OK, "POST": OK},
        viewer_ok={"GET": OK, "HEAD": OK, "POST": OK},
        shows=w.FILE_MARK,
        json=False,
    ),
    "documents/<int:document_id>/password/": Route(
        UI,
        _document,
        methods={"POST": lambda world: {"password": "not-needed"}},
        ok={"GET": _s(409), "HEAD": _s(409), "POST": _s(409)},
        viewer_ok={"GET": _s(403), "HEAD": _s(403), "POST": _s(403)},
        json=False,
    ),
    "documents/<int:document_id>/delete/": Route(
        UI,
        _document,
        methods={"POST": lambda world: {}},
        viewer_ok={"GET": _s(403), "HEAD": _s(403), "POST": _s(403)},
        destructive=frozenset({"POST"}),
        shows=w.FILE_MARK,
        json=False,
    ),
    # --- a matter's life, members and legal holds (managers of the matter) ---------------------
    "matters/new/": Route(
        CREATE,
        methods={"POST": lambda world: {"name": "Walls new", "slug": "walls-new"}},
        ok={"GET": OK, "HEAD": OK, "POST": _s(302)},
        json=False,
        reason="creating a matter: a permission an administrator grants, no matter's data",
    ),
    "matters/<int:matter_id>/edit/": _managers_page(_matter, {"name": "Renamed by the walls"}),
    "matters/<int:matter_id>/close/": _managers_page(_matter, {"reason": "walls"}),
    "matters/<int:matter_id>/reopen/": _managers_page(_matter, {"reason": "walls"}),
    "matters/<int:matter_id>/delete/": _managers_page(
        _matter, {"confirm": f"{w.MATTER_MARK}-holdings"}
    ),
    "matters/<int:matter_id>/members/": Route(
        UI,
        _matter,
        methods={"POST": lambda world: {"username": "bob", "role": "viewer"}},
        ok={"GET": OK, "HEAD": OK, "POST": _s(403)},  # any member reads it; managers add
        shows=w.MATTER_MARK,
        json=False,
    ),
    "matters/<int:matter_id>/members/role/": _managers_page(
        _matter, {"username": "vi", "role": "manager"}
    ),
    "matters/<int:matter_id>/members/remove/": _managers_page(_matter, {"username": "vi"}),
    "matters/<int:matter_id>/hold/": _managers_page(_matter, {"reason": "walls"}),
    "matters/<int:matter_id>/hold/release/": _managers_page(_matter, {"reason": "walls"}),
    "documents/<int:document_id>/hold/": _managers_page(_document, {"reason": "walls"}),
    "documents/<int:document_id>/hold/release/": _managers_page(_document, {"reason": "walls"}),
    "tokens/": Route(
        UI_OWN,
        methods={"POST": lambda world: {"scopes": [Scope.READ], "name": "matrix"}},
        ok={"GET": OK, "HEAD": OK, "POST": _s(201)},
        json=False,
        reason="the user's own tokens",
    ),
    "tokens/<str:prefix>/revoke/": Route(
        UI_OWN,
        lambda world: {"prefix": world.victim_token.prefix},
        methods={"POST": lambda world: {}},
        ok={"GET": _s(405), "HEAD": _s(405), "POST": _s(302)},
        json=False,
        reason="the user's own tokens; another user's token is not found",
    ),
    "account/sessions/": Route(UI_OWN, reason="the user's own signed-in sessions"),
    "account/sessions/<int:session_id>/end/": Route(
        UI_OWN,
        lambda world: {"session_id": _victim_session(world).pk},
        methods={"POST": lambda world: {}},
        ok={"GET": _s(405), "HEAD": _s(405), "POST": _s(302)},
        json=False,
        reason="the user's own sessions; another user's session is not found",
    ),
    "account/sessions/end-others/": Route(
        UI_OWN,
        methods={"POST": lambda world: {}},
        ok={"GET": _s(405), "HEAD": _s(405), "POST": _s(302)},
        json=False,
        reason="ends the caller's own other sessions; POST only",
    ),
    # --- single sign-on: not configured in the matrix, so not found for anyone ---------------
    "sso/oidc/start/": Route(PUBLIC, reason="starts single sign-on", anyone=_s(404)),
    "sso/oidc/callback/": Route(PUBLIC, reason="ends single sign-on", anyone=_s(404)),
    # --- the Django admin's own sign-in and sign-out (the rest: ``_admin_route``) -----------
    "admin/login/": Route(PUBLIC, reason="the admin's sign-in form", anyone=_s(200, 302)),
    "admin/logout/": Route(PUBLIC, reason="signs the caller out; POST only", anyone=_s(302, 405)),
    # --- audit console -------------------------------------------------------------------------
    "console/": Route(CONSOLE, reason="the audit log: administrators only"),
    "console/events/<int:seq>/": Route(
        CONSOLE,
        lambda world: {"seq": world.ask_record.seq},  # the record of a question asked in A
        reason="one audit record: administrators only",
    ),
    "console/export.csv": Route(CONSOLE, reason="the audit log: administrators only"),
    "console/export.jsonl": Route(CONSOLE, reason="the audit log: administrators only"),
    # --- compliance pages: access review, retention forecast -----------------------------------
    "compliance/access/": Route(
        COMPLIANCE, reason="who can access which matter: compliance officers only"
    ),
    "compliance/access.csv": Route(
        COMPLIANCE, reason="the access review as CSV: compliance officers only"
    ),
    "compliance/retention/": Route(
        COMPLIANCE, reason="what retention will purge: compliance officers only"
    ),
    # --- compliance pages: ethical-wall screens -------------------------------------------------
    "compliance/screens/": Route(
        COMPLIANCE,
        methods={"POST": _screen_someone},
        ok={"GET": OK, "HEAD": OK, "POST": _s(302)},
        json=False,
        reason="ethical-wall screens: administrators and compliance officers",
    ),
    "compliance/screens/<int:screen_id>/lift/": Route(
        COMPLIANCE,
        _compliance_screen,
        methods={"POST": lambda world: {"reason": "walls"}},
        ok={"GET": OK, "HEAD": OK, "POST": _s(302)},
        json=False,
        reason="lifting a screen: administrators and compliance officers",
    ),
}


def _victim_session(world: w.World) -> UserSession:
    """A session of A's editor (not the one the matrix uses) that others try to end."""
    row, _ = UserSession.objects.get_or_create(
        session_key="walls-victim-session", defaults={"user": world.users["editor_a"]}
    )
    return row


# Path parameters of the Django admin's routes, by name, for the admin rule.
_ADMIN_MODELS = {
    "matter": lambda world: world.matter_a.pk,
    "document": lambda world: world.document_a.pk,
    "membership": lambda world: Membership.objects.filter(matter=world.matter_a).first().pk,
    "auditevent": lambda world: world.ask_record.pk,
    "apitoken": lambda world: world.victim_token.pk,
    "deletionreceipt": lambda world: world.document_a.pk,  # none yet: a missing row
    "matterdeletionreceipt": lambda world: world.document_a.pk,  # none yet
    "practicearea": lambda world: world.document_a.pk,  # none yet
    "screen": lambda world: world.screen_a.pk,
    "legalhold": lambda world: world.document_a.pk,  # none yet
    "user": lambda world: world.users["editor_a"].pk,
    "group": lambda world: 1,
}


def _admin_route(route: str) -> Route | None:
    """The Django admin: superusers only, GET and HEAD (its forms change rows; the admin's own
    tests cover them). ``None`` when a parameter is one the rule does not know."""
    names = set(_param_names(route))
    known = {"object_id", "content_type_id", "app_label", "url", "id"}
    if not names <= known:
        return None
    parts = route.split("/")
    model = parts[2] if len(parts) > 3 and parts[1] in ("auth", "docproc") else ""
    if model and model not in _ADMIN_MODELS:
        return None  # a model newly registered in the admin: say which of its rows to open

    def fill(world: w.World) -> dict[str, object]:
        object_id = _ADMIN_MODELS.get(model, lambda world: world.document_a.pk)(world)
        return {
            "object_id": object_id,
            "id": world.users["editor_a"].pk,
            "content_type_id": ContentType.objects.get_for_model(Document).pk,
            "app_label": "docproc",
            "url": "docproc/nothing-here/",
        }

    return Route(ADMIN, fill, reason="Django admin: superusers only (break-glass)")


def _param_names(route: str) -> list[str]:
    return [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)]


# --- the URL conf --------------------------------------------------------------------------


def url_routes() -> list[str]:
    """Every route of the URL conf, as its full pattern (``api/v1/matters/<int:matter_id>/``)."""

    def walk(patterns, prefix: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    return list(walk(get_resolver().url_patterns, ""))


def spec_of(route: str) -> Route | None:
    if route in ROUTES:
        return ROUTES[route]
    if route.startswith("admin/"):
        return _admin_route(route)
    return None


def unknown_routes() -> list[str]:
    """Routes of the URL conf the matrix does not know how to call."""
    return [route for route in url_routes() if spec_of(route) is None]


def stale_entries() -> list[str]:
    """Entries of ``ROUTES`` naming a route the URL conf no longer has."""
    return sorted(set(ROUTES) - set(url_routes()))


def url_of(route: str, values: dict[str, object]) -> str:
    """``route`` with its parameters filled from ``values``."""
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), path)
    return "/" + path.replace("^", "").replace("$", "")


# --- what each call must give --------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    statuses: frozenset[int]
    denial: bool = False  # an access_denied record naming an existing object of A
    allowed_marks: frozenset[str] = frozenset()  # markers this persona may see here
    login: str | None = None  # a redirect to this sign-in page


def _api_gate(spec: Route, method: str, persona: str, view_scope: str | None) -> frozenset | None:
    """What the API answers before it looks at any object, or None if it gets that far."""
    if persona == "anonymous" or persona in w.BAD_TOKENS:
        return _s(401)
    if persona in w.TOKENS and view_scope is None:
        return _s(403)  # no scope declared for this method: tokens may not use it
    if persona == "token_without_scope":
        return _s(403)  # it lacks exactly the scope this method needs
    if view_scope is None:
        return _s(405)
    return None


def expect(route: str, spec: Route, method: str, persona: str, view_scope: str | None) -> Expected:
    ui_login = "/login/"
    if spec.door == PUBLIC:
        return Expected(spec.anyone)
    if spec.door == ADMIN:
        if persona == "superuser":
            return Expected(
                _s(200, 302, 403, 404, 405), allowed_marks=_s(w.FILE_MARK, w.MATTER_MARK)
            )
        return Expected(_s(302), login="/admin/login/")
    if spec.door in (COMPLIANCE, CREATE):
        if persona not in w.SESSIONS:
            return Expected(_s(302), login=ui_login)
        if persona in (COMPLIANCE_PERSONAS if spec.door == COMPLIANCE else CREATE_PERSONAS):
            # The compliance pages name matters and users, never a document's name or text.
            names = _s(w.MATTER_MARK) if spec.door == COMPLIANCE else frozenset()
            return Expected(spec.ok.get(method, OK), allowed_marks=names)
        return Expected(_s(403))
    if spec.door == CONSOLE:
        if persona not in w.SESSIONS:
            return Expected(_s(302), login=ui_login)
        if persona == "superuser":
            return Expected(OK, allowed_marks=_s(w.FILE_MARK, w.MATTER_MARK))
        return Expected(_s(403))
    if spec.door in (UI, UI_OWN):
        if persona not in w.SESSIONS:
            return Expected(_s(302), login=ui_login)  # the UI ignores bearer tokens
        if spec.door == UI_OWN:
            marks = frozenset(w.MARKS) if persona in w.INSIDERS else frozenset()
            if route == "tokens/<str:prefix>/revoke/" and persona != "editor_a":
                return Expected(_s(404) if method == "POST" else _s(405))  # not their token
            if route == "account/sessions/<int:session_id>/end/" and persona != "editor_a":
                return Expected(_s(404) if method == "POST" else _s(405))  # not their session
            return Expected(spec.ok.get(method, OK), allowed_marks=marks)
        return _object_expectation(spec, method, persona)
    # the REST API
    gate = _api_gate(spec, method, persona, view_scope)
    if gate is not None:
        return Expected(gate)
    if spec.door == API_OWN:
        marks = frozenset(w.MARKS) if persona in w.INSIDERS else frozenset()
        if method not in GET_HEAD:  # creating: the superuser alone holds the permission
            return Expected(spec.ok[method] if persona == "superuser" else _s(403))
        return Expected(OK, allowed_marks=marks)
    if spec.door == API_ADMIN:
        if persona == "superuser":
            return Expected(OK, allowed_marks=_s(w.FILE_MARK, w.MATTER_MARK))
        return Expected(_s(403))
    if spec.door == API_COMPLIANCE:
        if persona == "superuser":
            return Expected(spec.ok.get(method, OK), allowed_marks=_s(w.FILE_MARK, w.MATTER_MARK))
        if persona in w.INSIDERS:
            return Expected(_s(403))  # a member of A without the permission
        return Expected(_s(404), denial=True)
    return _object_expectation(spec, method, persona)


def _object_expectation(spec: Route, method: str, persona: str) -> Expected:
    """A's object asked for by someone signed in (session or a token that passed the gate)."""
    everything = frozenset(w.MARKS)
    if persona == "editor_a":
        return Expected(spec.ok.get(method, OK), allowed_marks=everything)
    if persona == "viewer_a":
        if spec.owner_only:
            return Expected(_s(404), denial=True)
        if method in spec.viewer_ok:
            return Expected(spec.viewer_ok[method], allowed_marks=everything)
        statuses = spec.ok.get(method, OK) if method in GET_HEAD else _s(403)
        return Expected(statuses, allowed_marks=everything)
    return Expected(_s(404), denial=True)


# --- running it ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    route: str
    method: str
    persona: str
    status: int
    expected: Expected
    leaked: tuple[str, ...]  # markers this persona may not see here
    denial_recorded: bool
    shown: bool  # the route's ``shows`` marker was in the answer
    marks: tuple[str, ...] = ()  # every marker in the answer, allowed or not

    @property
    def wrong_status(self) -> bool:
        return self.status not in self.expected.statuses

    def problem(self) -> str | None:
        where = f"{self.method} {self.route} as {self.persona}"
        if self.leaked:
            return f"{where}: leaked {', '.join(self.leaked)} (status {self.status})"
        if self.wrong_status:
            return f"{where}: status {self.status}, expected {sorted(self.expected.statuses)}"
        if self.expected.denial and not self.denial_recorded:
            return f"{where}: 404 without an access_denied record"
        return None


def _client(world: w.World, persona: str, scope: str | None, fresh: bool) -> APIClient:
    """The persona's client, signed in once per world (a fresh one for a call that signs out)."""
    key = (persona, scope if persona == "token_without_scope" else None)
    if not fresh and key in world.clients:
        return world.clients[key]
    client = _new_client(world, persona, scope)
    if not fresh:
        world.clients[key] = client
    return client


def _new_client(world: w.World, persona: str, scope: str | None) -> APIClient:
    client = APIClient()
    if persona in w.SESSIONS:
        client.force_login(world.users[persona])
    elif persona == "token_without_scope":
        lacking = world.lacking[scope or Scope.READ]
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {lacking}")
    elif persona in world.bearer:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.bearer[persona]}")
    return client


def _view_scope(route: str, method: str) -> str | None:
    from docproc.api.scopes import required_scope

    match = get_resolver().resolve(route)
    view_class = getattr(match.func, "view_class", None)
    if view_class is None:
        return None
    if method != "HEAD" and not hasattr(view_class, method.lower()):
        return None
    return required_scope(view_class, method)


def _body_text(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    headers = " ".join(f"{k}: {v}" for k, v in response.items())
    return (headers + "\n" + content.decode("utf-8", "replace")).lower()


def _denials() -> int:
    return AuditEvent.objects.filter(action=Action.ACCESS_DENIED).count()


def call(world: w.World, route: str, spec: Route, method: str, persona: str) -> Outcome:
    """One call, checked: its status, the markers its answer carries, and the denial record."""
    url = url_of(route, spec.fill(world))
    view_scope = _view_scope(url, method) if route.startswith("api/v1/") else None
    expected = expect(route, spec, method, persona, view_scope)
    # A fresh client for a page's successful POST too: the message it leaves in the session
    # (naming the matter) would otherwise show on the persona's next page, whatever it is.
    fresh = spec.door == PUBLIC or (method == "POST" and spec.door in (COMPLIANCE, CREATE))
    client = _client(world, persona, view_scope, fresh=fresh)
    body = spec.methods[method](world) if method in spec.methods else None
    before = _denials()
    if body is not None and spec.json:
        response = client.generic(method, url, data=_json(body), content_type="application/json")
    elif body is not None:
        response = getattr(client, method.lower())(url, body)
    else:
        response = client.generic(method, url)
    text = _body_text(response)
    marks = tuple(mark for mark in w.MARKS if mark.lower() in text)
    leaked = tuple(mark for mark in marks if mark not in expected.allowed_marks)
    status = response.status_code
    if expected.login is not None and status == 302:
        if not response["Location"].startswith(expected.login):
            status = -302  # a redirect somewhere else than the sign-in page
    shown = spec.shows is not None and spec.shows.lower() in text
    denied = _denials() > before
    return Outcome(route, method, persona, status, expected, leaked, denied, shown, marks)


def _json(body: dict) -> str:
    import json

    return json.dumps(body, default=str)


def calls(route: str, spec: Route) -> list[tuple[str, str]]:
    """(method, persona) pairs the matrix sends to ``route``."""
    methods = list(GET_HEAD) + [m for m in spec.methods if m not in GET_HEAD]
    pairs = []
    for method in methods:
        for persona in w.PERSONAS:
            if persona in w.INSIDERS and method in spec.destructive:
                continue
            pairs.append((method, persona))
    return pairs


@dataclass
class Report:
    outcomes: list[Outcome]
    routes: int
    unknown: list[str]

    @property
    def problems(self) -> list[str]:
        found = [p for o in self.outcomes if (p := o.problem())]
        found += [f"{route}: the matrix does not know how to call it" for route in self.unknown]
        found += self.not_shown
        return found

    @property
    def not_shown(self) -> list[str]:
        """Routes whose ``shows`` marker A's editor did not get: the matrix would pass
        vacuously there."""
        walked = {o.route for o in self.outcomes}
        shown = {o.route for o in self.outcomes if o.persona == "editor_a" and o.shown}
        return [
            f"{route}: A's editor did not see {spec.shows}"
            for route in sorted(walked)
            if (spec := ROUTES.get(route)) and spec.shows and route not in shown
        ]

    @property
    def leaks(self) -> int:
        return sum(1 for o in self.outcomes if o.leaked)

    @property
    def wrong_statuses(self) -> int:
        return sum(1 for o in self.outcomes if not o.leaked and o.wrong_status)

    @property
    def denials(self) -> tuple[int, int]:
        due = [o for o in self.outcomes if o.expected.denial]
        return sum(1 for o in due if o.denial_recorded), len(due)

    def summary(self) -> str:
        audited, due = self.denials
        return (
            f"routes {self.routes} × personas {len(w.PERSONAS)} = {len(self.outcomes)} requests, "
            f"leaks {self.leaks}, wrong statuses {self.wrong_statuses}, "
            f"denials audited {audited}/{due}"
        )


def run(world: w.World, routes: list[str] | None = None) -> Report:
    """Walk the matrix (every route of the URL conf unless ``routes``)."""
    every = routes if routes is not None else url_routes()
    outcomes, unknown = [], []
    for route in every:
        spec = spec_of(route)
        if spec is None:
            unknown.append(route)
            continue
        for method, persona in calls(route, spec):
            outcomes.append(call(world, route, spec, method, persona))
    return Report(outcomes, len(every), unknown)


# --- after A's document is deleted ---------------------------------------------------------

_OBJECT_PARAMS = {"document_id", "job_id"}
# Doors behind which the administrator may read file and matter names (never a text).
_NAMES_DOORS = frozenset({ADMIN, CONSOLE, API_ADMIN})


def after_deletion(world: w.World) -> tuple[int, list[str]]:
    """Walk every route again once A's document is deleted: nobody, A's members included, gets
    its text, and every route naming the document or its job answers A's members 404. Only the
    administrator may still read its file name, in the audit trail (the deletion's receipt).
    Returns (requests sent, problems)."""
    problems, sent = [], 0
    for route in url_routes():
        spec = spec_of(route)
        if spec is None:
            problems.append(f"{route}: the matrix does not know how to call it")
            continue
        names_object = bool(_OBJECT_PARAMS & set(_param_names(route)))
        for method, persona in calls(route, spec):
            outcome = call(world, route, spec, method, persona)
            sent += 1
            where = f"{method} {route} as {persona}"
            name_ok = persona == "superuser" and spec.door in _NAMES_DOORS
            if w.TEXT_MARK in outcome.marks or (w.FILE_MARK in outcome.marks and not name_ok):
                problems.append(
                    f"{where}: the deleted document's content (status {outcome.status})"
                )
            offered = (
                method in spec.methods
                or not route.startswith("api/v1/")
                or bool(_view_scope(url_of(route, spec.fill(world)), method))
            )
            if persona in w.INSIDERS and names_object and offered and outcome.status != 404:
                problems.append(f"{where}: status {outcome.status} for the deleted document")
    return sent, problems
