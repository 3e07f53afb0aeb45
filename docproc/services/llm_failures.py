"""One mapping from what the language model boundary raises to what every front door says:
the API's error code and status, and the words a person reads (the API's ``detail``, the web
pages' alerts, a job's ``error``). The management commands print the same words."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from docproc.pipeline.llm.client import (
    ContextOverflowError,
    LLMError,
    LLMResponseError,
    LLMUnavailableError,
)

logger = logging.getLogger(__name__)

UNAVAILABLE = "The language model is unavailable ({reason}); try again shortly."
BAD_RESPONSE = "The language model returned something other than what was asked for; try again."


@dataclass(frozen=True, slots=True)
class Failure:
    code: str  # llm_unavailable | context_overflow | llm_bad_response
    status: int  # the HTTP status the API answers with
    detail: str  # in words, never the server's address or a trace

    def as_error(self) -> dict:
        """The API's error body (a job's ``error``)."""
        return {"code": self.code, "detail": self.detail}


def describe(exc: LLMError) -> Failure:
    """What ``exc`` means for the person who asked (and is logged for the operator)."""
    if isinstance(exc, LLMUnavailableError):
        logger.warning("LLM unavailable: %s", exc)
        return Failure("llm_unavailable", 503, UNAVAILABLE.format(reason=exc.reason))
    if isinstance(exc, ContextOverflowError):
        return Failure("context_overflow", 400, str(exc))
    if isinstance(exc, LLMResponseError):
        logger.warning("LLM bad response: %s", exc)
        return Failure("llm_bad_response", 502, BAD_RESPONSE)
    # Refused credentials, an unknown model: the operator's message says what to fix.
    logger.warning("LLM error: %s", exc)
    return Failure("llm_bad_response", 502, str(exc))
