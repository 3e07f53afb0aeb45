"""Request context for the audit log: every request gets an id (the client's ``X-Request-ID``
when it is sane, else a new one), echoed in the response, and the audit records made while it
runs carry that id and the client's address.

A 403 that no view recorded as a denial (a CSRF failure, a permission check elsewhere) is
recorded here, so every refused request leaves exactly one ``access_denied`` record.
"""

from __future__ import annotations

import uuid

from docproc.services import audit

HEADER = "X-Request-ID"


class RequestContextMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request_id = audit.sane_request_id(request.headers.get(HEADER)) or uuid.uuid4().hex
        request.request_id = request_id
        context = audit.RequestContext(
            client_address=request.META.get("REMOTE_ADDR") or "", request_id=request_id
        )
        with audit.bound(context):
            response = self.get_response(request)
            if response.status_code == 403 and not context.denial_recorded:
                user = getattr(request, "user", None)
                audit.denied(
                    user if user is not None and user.is_authenticated else None,
                    reason="refused",
                    status=403,
                    method=request.method,
                    path=request.path,
                )
        response[HEADER] = request_id
        return response
