"""Request context for the audit log: every request gets an id (the client's ``X-Request-ID``
when it is sane, else a new one), echoed in the response, and the audit records made while it
runs carry that id and the client's address.

The client's address is the direct peer's (``REMOTE_ADDR``), unless that peer is one of
``DOCPROC_TRUSTED_PROXIES`` and ``DOCPROC_TRUSTED_PROXY_HEADER`` is set: then it is the nearest
address in that header (e.g. ``X-Forwarded-For``) that is not itself a trusted proxy. A header
from anyone else is ignored, so a client cannot choose the address it is recorded (and
rate-limited) under.

A 403 that no view recorded as a denial (a CSRF failure, a permission check elsewhere) is
recorded here. An anonymous client's are merged per client address (``audit.flood``): the first
of a window is recorded, the rest only counted, so nobody can flood the log with refused
requests without signing in. A signed-in user's are each recorded: the user answers for them.
"""

from __future__ import annotations

import ipaddress
import uuid
from functools import cache
from typing import Any

from django.conf import settings

from docproc.services import audit

HEADER = "X-Request-ID"
REFUSED = audit.flood.REFUSED

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(value: str, networks: tuple[Network, ...]) -> bool:
    address = _address(value)
    return address is not None and any(address in network for network in networks)


def client_address(request) -> str:
    """The client's address: the peer's, or, behind a trusted proxy, from its header."""
    peer = request.META.get("REMOTE_ADDR") or ""
    header = settings.TRUSTED_PROXY_HEADER
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not header or not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in (request.headers.get(header) or "").split(",")]
    # Right to left: each trusted proxy appended the address it got the request from.
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return peer  # a malformed hop: trust nothing beyond the proxy itself
        if not _trusted(hop, networks):
            return str(address)
    return peer


class RequestContextMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request_id = audit.sane_request_id(request.headers.get(HEADER)) or uuid.uuid4().hex
        request.request_id = request_id
        address = client_address(request)
        context = audit.RequestContext(client_address=address, request_id=request_id)
        with audit.bound(context):
            response = self.get_response(request)
            if response.status_code == 403 and not context.denial_recorded:
                self._record_refusal(request)
        response[HEADER] = request_id
        return response

    @staticmethod
    def _record_refusal(request) -> None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
        burst = audit.flood.Burst(1) if actor is not None else audit.flood.count_failure(REFUSED)
        if burst.to_record:
            details: dict[str, Any] = {  # extra details, none a matter or target
                "method": request.method,
                "path": request.path,
                **burst.details(),
            }
            audit.denied(actor, reason="refused", status=403, **details)
