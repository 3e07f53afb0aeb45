"""Who the work being audited is done by and from where: the request context (client
address, request id) that ``docproc.web.middleware.RequestContextMiddleware`` binds for a
request, or the system actor of a management command (``commands.as_command``)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# Who does what is audited, as every front door has it: a request's user (signed in or not),
# a job's user, or None for the system (a command, a worker) or a failed sign-in.
Actor: TypeAlias = "User | AnonymousUser | None"


def person(actor: Actor) -> User | None:
    """The signed-in user behind ``actor`` (None for the system or an anonymous visitor): what
    a "done by" column stores."""
    return actor if actor is not None and actor.is_authenticated else None


REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(slots=True)
class RequestContext:
    """Where the current work comes from: a request (address, id) or a command (system actor).
    ``denial_recorded`` lets the middleware record a 403 that no view recorded, exactly once."""

    client_address: str = ""
    request_id: str = ""
    system_actor: str = ""
    denial_recorded: bool = False


_context: ContextVar[RequestContext | None] = ContextVar("docproc_audit_context", default=None)


def current_context() -> RequestContext:
    return _context.get() or RequestContext()


def bind(context: RequestContext) -> Token[RequestContext | None]:
    """Make ``context`` the current one (until ``unbind`` with the token returned)."""
    return _context.set(context)


def unbind(token: Token[RequestContext | None]) -> None:
    _context.reset(token)


@contextlib.contextmanager
def bound(context: RequestContext) -> Iterator[RequestContext]:
    """Run a block in ``context``, e.g. a streamed response's body after its view returned."""
    token = bind(context)
    try:
        yield context
    finally:
        unbind(token)


def sane_request_id(value: str | None) -> str | None:
    """``value`` if it is a usable request id (1-64 of ``A-Za-z0-9._:-``), else None."""
    return value if value and REQUEST_ID.match(value) else None
