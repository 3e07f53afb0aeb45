"""The errors docproc reports, one entry each: a stable ``code``, the HTTP ``status`` the API
answers with, and the ``message`` a person reads (the API's ``detail``, a web page's alert, a
failed job's ``error``).

``describe`` maps what the services and the language model boundary raise to an entry, so the
API (``api/errors.py``, ``api/llm_views.py``), the web pages (``web/ask_views.py``) and jobs
(``services/jobs.py``) answer the same failure with the same code, status and words. Here in
the services layer, so a service can use it without importing a front door.

Clients branch on ``code``: never change one. Messages are for people and may change. Codes
Django REST framework raises itself (``not_authenticated``, ``throttled``,
``unsupported_media_type``, ...) keep its statuses and messages; ``api/errors.py`` renders all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from docproc.pipeline.llm.client import (
    ContextOverflowError,
    LLMError,
    LLMResponseError,
    LLMUnavailableError,
)
from docproc.services.answers import QuestionError
from docproc.services.extraction import SchemaError
from docproc.services.matters import MatterConflictError, MatterError, MatterGoneError
from docproc.services.summaries import SummaryError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Failure:
    """One failure as a front door reports it."""

    code: str
    status: int
    detail: str  # in words, never a server's address or a trace
    field: str | None = None  # the request field at fault, if one is (the API lists it)

    def as_error(self) -> dict[str, str]:
        """The API's error body ``{"code", "detail"}`` (a job's ``error``)."""
        return {"code": self.code, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: str
    status: int
    message: str  # what is said when the failure brings no words of its own

    def failure(self, detail: str | None = None, *, field: str | None = None) -> Failure:
        """This error, saying ``detail`` (default: ``message``)."""
        return Failure(self.code, self.status, self.message if detail is None else detail, field)


INVALID = ErrorCode("invalid", 400, "The request is not valid.")
BAD_REQUEST = ErrorCode("bad_request", 400, "The request could not be read.")
PARSE_ERROR = ErrorCode("parse_error", 400, "The request could not be read.")
CONTEXT_OVERFLOW = ErrorCode(
    "context_overflow", 400, "The request does not fit in the language model's context."
)
PERMISSION_DENIED = ErrorCode("permission_denied", 403, "You do not have permission to do this.")
INSUFFICIENT_SCOPE = ErrorCode("insufficient_scope", 403, "This token's scopes do not allow this.")
NOT_FOUND = ErrorCode("not_found", 404, "Not found.")
CONFLICT = ErrorCode("conflict", 409, "The request conflicts with the current state of the object.")
PAYLOAD_TOO_LARGE = ErrorCode("payload_too_large", 413, "The request is larger than the limit.")
SERVER_ERROR = ErrorCode(
    "server_error", 500, "An unexpected error occurred. It has been logged; please try again later."
)
LLM_BAD_RESPONSE = ErrorCode(
    "llm_bad_response",
    502,
    "The language model returned something other than what was asked for; try again.",
)
TEMPORARILY_UNAVAILABLE = ErrorCode(
    "temporarily_unavailable",
    503,
    "The service is temporarily unavailable; please try again shortly.",
)
LLM_UNAVAILABLE = ErrorCode(
    "llm_unavailable", 503, "The language model is unavailable ({reason}); try again shortly."
)

# A matter's state refuses the request (each a ``MatterConflictError`` subclass's ``code``).
MATTER_CLOSED = ErrorCode("matter_closed", 409, "The matter is closed (read-only).")
LEGAL_HOLD = ErrorCode("legal_hold", 409, "A legal hold forbids deleting this.")
MATTER_EXISTS = ErrorCode("matter_exists", 409, "A matter with this reference already exists.")
SCREENED = ErrorCode("screened", 409, "The user is screened from this matter.")
LAST_MANAGER = ErrorCode("last_manager", 409, "A matter must keep at least one manager.")
_CONFLICTS = {e.code: e for e in (MATTER_CLOSED, LEGAL_HOLD, MATTER_EXISTS, SCREENED, LAST_MANAGER)}

# What ``describe`` knows; a front door catches these around a service call.
DESCRIBED = (LLMError, QuestionError, SchemaError, SummaryError, MatterError)


def describe(exc: Exception) -> Failure:
    """What ``exc`` means for the person who asked (LLM failures are logged for the operator).

    Anything not in ``DESCRIBED`` is a ``server_error`` that says nothing of its cause.
    """
    if isinstance(exc, MatterConflictError):
        return _CONFLICTS.get(exc.code, CONFLICT).failure(str(exc))
    if isinstance(exc, MatterGoneError):
        return NOT_FOUND.failure(str(exc))
    if isinstance(exc, MatterError):
        return INVALID.failure(str(exc), field=exc.field)
    if isinstance(exc, QuestionError):
        return INVALID.failure(str(exc), field="question")
    if isinstance(exc, SchemaError):
        return INVALID.failure(str(exc), field="schema")
    if isinstance(exc, SummaryError):
        return CONFLICT.failure(str(exc))
    if isinstance(exc, LLMUnavailableError):
        logger.warning("LLM unavailable: %s", exc)
        return LLM_UNAVAILABLE.failure(LLM_UNAVAILABLE.message.format(reason=exc.reason))
    if isinstance(exc, ContextOverflowError):
        return CONTEXT_OVERFLOW.failure(str(exc))
    if isinstance(exc, LLMResponseError):
        logger.warning("LLM bad response: %s", exc)
        return LLM_BAD_RESPONSE.failure()
    if isinstance(exc, LLMError):
        # Refused credentials, an unknown model: the operator's message says what to fix.
        logger.warning("LLM error: %s", exc)
        return LLM_BAD_RESPONSE.failure(str(exc))
    logger.error("no error code for %r", exc)
    return SERVER_ERROR.failure()
