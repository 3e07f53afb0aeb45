"""Every API error as JSON ``{"code": "<stable_snake_case>", "detail": "<human sentence>"}``.

Clients branch on ``code`` (stable across releases); ``detail`` is for people and may change.
Validation errors add ``"errors"``: ``{field: [message, ...]}``. Nothing an API client sends can
produce a stack trace: anything unexpected is logged and answered with ``server_error``.
Our codes, their statuses and default words are ``services/error_codes.py``'s;
``service_error`` turns what a service raised into the API's answer.

``json_exception_handler`` is DRF's ``EXCEPTION_HANDLER``; ``json_404``/``json_500``/... are the
Django-level handlers (unknown URLs, errors outside DRF) for paths under ``/api/``.
"""

from __future__ import annotations

import logging
import math

from django.core.exceptions import (
    PermissionDenied as DjangoPermissionDenied,
)
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from docproc.pipeline.types import TransientError
from docproc.services.dense_search import IndexUnavailableError
from docproc.services.error_codes import (
    BAD_REQUEST,
    CONFLICT,
    INVALID,
    NOT_FOUND,
    PARSE_ERROR,
    PAYLOAD_TOO_LARGE,
    PERMISSION_DENIED,
    SERVER_ERROR,
    TEMPORARILY_UNAVAILABLE,
    ErrorCode,
    Failure,
    describe,
)
from docproc.services.matters import MatterError

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


class ConflictError(exceptions.APIException):
    """The request is valid but the object is not in a state that allows it."""

    status_code = CONFLICT.status
    default_code = CONFLICT.code
    default_detail = CONFLICT.message


class PayloadTooLargeError(exceptions.APIException):
    """An upload (or request body) larger than the configured limit."""

    status_code = PAYLOAD_TOO_LARGE.status
    default_code = PAYLOAD_TOO_LARGE.code
    default_detail = PAYLOAD_TOO_LARGE.message


class TemporarilyUnavailableError(exceptions.APIException):
    """A dependency (Redis, an index lock held elsewhere) is briefly unavailable."""

    status_code = TEMPORARILY_UNAVAILABLE.status
    default_code = TEMPORARILY_UNAVAILABLE.code
    default_detail = TEMPORARILY_UNAVAILABLE.message


class ServiceError(exceptions.APIException):
    """A failure as ``services.error_codes.describe`` gives it (code, status, words)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.detail, failure.code)
        self.status_code = failure.status
        self.default_code = failure.code


def service_error(exc: Exception) -> exceptions.APIException:
    """The API's answer to what a service raised (one of ``services.error_codes.DESCRIBED``): a
    validation error naming the field at fault where there is one."""
    failure = describe(exc)
    if failure.field is not None:
        return exceptions.ValidationError({failure.field: [failure.detail]})
    return ServiceError(failure)


# DRF's own default codes are already the stable names we want, except these.
_CODE_OVERRIDES: dict[type[exceptions.APIException], str] = {
    exceptions.ValidationError: INVALID.code,
    exceptions.NotFound: NOT_FOUND.code,
    exceptions.PermissionDenied: PERMISSION_DENIED.code,
    exceptions.ParseError: PARSE_ERROR.code,
}


def error_body(code: str, detail: str, **extra) -> dict:
    """The one shape of every error body."""
    return {"code": code, "detail": detail, **extra}


def _code_of(exc: exceptions.APIException) -> str:
    for cls in type(exc).__mro__:
        if cls in _CODE_OVERRIDES:
            return _CODE_OVERRIDES[cls]
    return getattr(exc, "default_code", None) or "error"


def _as_text(detail) -> str:
    """A single human sentence from DRF's detail (a string, list or dict of ErrorDetails)."""
    if isinstance(detail, dict):
        for value in detail.values():
            return _as_text(value)
        return INVALID.message
    if isinstance(detail, list | tuple):
        return _as_text(detail[0]) if detail else INVALID.message
    return str(detail)


def _field_errors(detail) -> dict[str, list[str]]:
    """DRF validation detail normalised to ``{field: [message, ...]}``."""
    if isinstance(detail, dict):
        return {
            str(field): [str(m) for m in (msgs if isinstance(msgs, list | tuple) else [msgs])]
            if not isinstance(msgs, dict)
            else [_as_text(msgs)]
            for field, msgs in detail.items()
        }
    messages = detail if isinstance(detail, list | tuple) else [detail]
    return {"non_field_errors": [str(m) for m in messages]}


def _first_error(errors: dict[str, list[str]]) -> str:
    """One sentence naming the first problem, e.g. ``"file: No file was submitted."``."""
    for field, messages in errors.items():
        if messages:
            return messages[0] if field == "non_field_errors" else f"{field}: {messages[0]}"
    return INVALID.message


def _translate_django(exc: Exception) -> exceptions.APIException | None:
    """Map framework exceptions DRF leaves alone to an APIException, or None if unexpected."""
    if isinstance(exc, Http404):
        return exceptions.NotFound(NOT_FOUND.message)
    if isinstance(exc, MatterError):
        # Matters, members, screens and holds: the service's words, code and status.
        return service_error(exc)
    if isinstance(exc, IndexUnavailableError):
        logger.error("index unavailable: %s", exc)
        return TemporarilyUnavailableError(str(exc))
    if isinstance(exc, TransientError):
        # Services raise it for what a retry fixes; say so rather than answer 500.
        logger.warning("transient failure: %s", exc)
        return TemporarilyUnavailableError()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLargeError("The request body is larger than the limit.")
    if isinstance(exc, TooManyFilesSent):
        return exceptions.ValidationError({"file": ["Too many files in one request."]})
    if isinstance(exc, TooManyFieldsSent):
        return exceptions.ValidationError("Too many fields in one request.")
    if isinstance(exc, SuspiciousOperation):
        # Malformed multipart bodies and the like: bad input, never a 500.
        return exceptions.ParseError(PARSE_ERROR.message)
    return None


def json_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF exception handler: a JSON error body for every exception, expected or not.

    Service errors a retry can fix (``TransientError``) are 503 ``temporarily_unavailable``
    with ``Retry-After``; anything else unexpected is logged and answered 500."""
    if not isinstance(exc, exceptions.APIException):
        translated = _translate_django(exc)
        if translated is None:
            view = context.get("view")
            logger.exception("unhandled error in %s", type(view).__name__ if view else "API")
            set_rollback()
            return Response(
                error_body(SERVER_ERROR.code, SERVER_ERROR.message), status=SERVER_ERROR.status
            )
        exc = translated

    code = _code_of(exc)
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        body = error_body(code, _first_error(errors), errors=errors)
    else:
        body = error_body(code, _as_text(exc.detail))
    # Both are set on the instance, not declared on the class (nor in the stubs): ``wait`` by
    # Throttled.__init__, ``auth_header`` by APIView.handle_exception for a 401 challenge.
    wait: float | None = getattr(exc, "wait", None)
    auth_header: str | None = getattr(exc, "auth_header", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        body["wait_seconds"] = math.ceil(wait)  # as in DRF's detail; never 0 while waiting

    headers = {}
    if isinstance(exc, TemporarilyUnavailableError):
        headers["Retry-After"] = "5"
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    if wait:
        headers["Retry-After"] = str(math.ceil(wait))
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


# --- Django-level handlers (URLs DRF never saw) ---------------------------------------------


def is_api_request(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(error: ErrorCode) -> JsonResponse:
    return JsonResponse(error_body(error.code, error.message), status=error.status)


def json_400(request, exception=None) -> JsonResponse:
    return _json(BAD_REQUEST)


def json_403(request, exception=None) -> JsonResponse:
    return _json(PERMISSION_DENIED)


def json_404(request, exception=None) -> JsonResponse:
    return _json(NOT_FOUND)


def json_500(request) -> JsonResponse:
    return _json(SERVER_ERROR)
