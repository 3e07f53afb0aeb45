"""Which private model gets a request, and why: the small (default) one or the large one.

docproc can be given two OpenAI-compatible endpoints: the small model (``DOCPROC_LLM_*``, e.g.
the embedded SmolLM2 or a vLLM 1-3B) and, optionally, a large one (``DOCPROC_LLM_LARGE_*``,
e.g. a vLLM 7B). A request goes to the small model unless it is judged hard:

- a question that needs a calculation (:func:`needs_calculation`: "how much did X change",
  a ratio, a percentage, growth, a difference, an average...);
- a question whose evidence the small model's context cannot hold: its evidence budget would
  leave out pages that the large model's budget keeps (the answers service measures that);
- a summary or an extraction of a document of ``DOCPROC_LLM_ROUTE_LARGE_PAGES`` pages or more.

An answer of the small model that fails verification is retried once on the large model
before the answer falls back to quoting the documents. An endpoint that is down (refused,
timed out) is noted and the other one is used; when none answers, answers quote the passages
and summaries the document's opening sentences, saying so. An endpoint found down is not asked
again by this process for ``DOCPROC_LLM_DOWN_COOLDOWN_S`` (the client's retries and timeouts
are paid once, not by every request in a row). Nothing is sent anywhere but these
two configured endpoints.

Every answer, summary and extraction carries a ``routing`` object (:meth:`Trace.as_dict`):
the model and endpoint that produced it, the reason (a stable code), whether it was escalated,
every attempt with its outcome, and an ``explanation`` in words for people (the Ask page shows
it; the audit record keeps it).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from docproc.pipeline.llm.client import LLMClient, LLMUnavailableError, large_client_from_settings

SMALL = "small"
LARGE = "large"

# Why the endpoint that produced a result was chosen (``routing.reason``).
ONLY_MODEL = "only_model"  # no large model is configured
DEFAULT = "default"  # nothing judged hard: the small model
CALCULATION = "calculation"  # the question needs a calculation
CONTEXT = "context"  # the evidence needs more context than the small model has
LONG_DOCUMENT = "long_document"  # a summary or extraction of many pages
UNVERIFIED = "unverified_on_small"  # the small model's answer failed verification
SMALL_UNAVAILABLE = "small_unavailable"  # the small model is down: the large one answered
LARGE_UNAVAILABLE = "large_unavailable"  # the large model is down: the small one answered
NO_MODEL_NEEDED = "no_model_needed"  # no passage supports the question: no model asked
NO_MODEL_AVAILABLE = "no_model_available"  # every model is down: the documents are quoted

# Outcomes of one attempt (``routing.attempts[].outcome``).
VERIFIED = "verified"
NOT_VERIFIED = "unverified"
NOT_FOUND = "not_found"
DONE = "done"
UNAVAILABLE = "unavailable"
FAILED = "failed"

# A question that asks for arithmetic over figures: a small model invents numbers, so it goes
# to the large one. Generic on purpose (words of change, proportion and comparison), checked
# by tests/services/test_routing.py; a false positive costs only a slower answer.
_CALCULATION = re.compile(
    r"""
    \b(?:ratios?|percent(?:ages?)?|per\s+cent|growth|cagr|averages?|median|
        calculate[ds]?|calculating|compute[ds]?|computing|
        difference\s+(?:between|in|of)|differ|
        year[\s-]+(?:over|on)[\s-]+year|
        compared?\s+(?:to|with)|versus|
        how\s+many\s+times)\b
    | %
    | \bby\s+how\s+much\b
    | \bhow\s+much\b.*\b(?:change[ds]?|increase[ds]?|decrease[ds]?|grow|grew|rise|rose|
        fall|fell|drop(?:ped)?|decline[ds]?|more|less|higher|lower)\b
    | \b(?:increase|decrease|growth|decline|change)\s+(?:from|between)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)

_FAILED_WHY = "failed"

_WHY = {
    ONLY_MODEL: "the only model configured",
    DEFAULT: "the default for a request it can hold",
    CALCULATION: "the question needs a calculation, which the small model does poorly",
    CONTEXT: "the passages the question needs do not fit the small model's context",
    LONG_DOCUMENT: "the document is long",
    UNVERIFIED: "the small model's answer could not be verified against the documents",
    SMALL_UNAVAILABLE: "the small model is unavailable",
    LARGE_UNAVAILABLE: "the large model is unavailable",
}


class _Breaker:
    """Endpoints found unavailable in this process, until ``DOCPROC_LLM_DOWN_COOLDOWN_S``
    has passed (0: always ask). Keyed by address and model; an answer clears the entry."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[tuple[str, str], tuple[float, str]] = {}

    @staticmethod
    def _key(client: LLMClient) -> tuple[str, str]:
        return client.base_url, client.model

    def down(self, client: LLMClient) -> str | None:
        with self._lock:
            entry = self._until.get(self._key(client))
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def failed(self, client: LLMClient, reason: str) -> None:
        cooldown = settings.LLM_DOWN_COOLDOWN_S
        if cooldown > 0:
            with self._lock:
                self._until[self._key(client)] = (time.monotonic() + cooldown, reason)

    def answered(self, client: LLMClient) -> None:
        with self._lock:
            self._until.pop(self._key(client), None)

    def clear(self) -> None:
        with self._lock:
            self._until.clear()


_breaker = _Breaker()


def forget_unavailable() -> None:
    """Forget which endpoints were found down (the next request asks them again)."""
    _breaker.clear()


def needs_calculation(question: str) -> bool:
    """Whether ``question`` asks for arithmetic over figures (a change, a ratio, a percentage,
    growth, a difference, an average), which a small model gets wrong."""
    return bool(_CALCULATION.search(question))


@dataclass(frozen=True, slots=True)
class Models:
    """The configured endpoints: the small model always, the large one when configured."""

    small: LLMClient
    large: LLMClient | None = None

    def client(self, endpoint: str) -> LLMClient:
        client = self.large if endpoint == LARGE else self.small
        assert client is not None, f"no {endpoint} model is configured"
        return client


def models(small: LLMClient | None = None) -> Models:
    """The small model (``small``, else the configured one) and the configured large model.
    A large model configured as the very same endpoint and model is no second model. A
    metered small client (the audit's) meters the large one too."""
    if small is None:
        from docproc.services import llm_context

        small = llm_context.default_client()
    large = large_client_from_settings()
    if large is not None and (large.base_url, large.model) == (small.base_url, small.model):
        large = None
    if large is not None and hasattr(small, "sibling"):
        large = small.sibling(large)
    return Models(small, large)


def for_question(question: str, available: Models) -> tuple[str, str]:
    """The endpoint a question goes to first and why (the context test comes later, once the
    small model's evidence budget is known)."""
    if available.large is None:
        return SMALL, ONLY_MODEL
    if needs_calculation(question):
        return LARGE, CALCULATION
    return SMALL, DEFAULT


def for_document(page_count: int, available: Models) -> tuple[str, str]:
    """The endpoint a summary or extraction of a document of ``page_count`` pages goes to."""
    if available.large is None:
        return SMALL, ONLY_MODEL
    if page_count >= settings.LLM_ROUTE_LARGE_PAGES:
        return LARGE, LONG_DOCUMENT
    return SMALL, DEFAULT


@dataclass(frozen=True, slots=True)
class Attempt:
    endpoint: str
    model: str
    outcome: str
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "endpoint": self.endpoint,
            "model": self.model,
            "outcome": self.outcome,
            "detail": self.detail,
        }


@dataclass
class Trace:
    """What happened to one request: every attempt, and which endpoint produced the result."""

    available: Models
    endpoint: str | None = None
    reason: str = DEFAULT
    escalated: bool = False
    attempts: list[Attempt] = field(default_factory=list)
    down: dict[str, str] = field(default_factory=dict)  # endpoint → why it is unavailable

    def __post_init__(self) -> None:
        # An endpoint found down moments ago is not asked again (and waited for) until its
        # cooldown ends: one request pays for finding out, not every request.
        for endpoint in (SMALL, LARGE):
            if endpoint == LARGE and self.available.large is None:
                continue
            why = _breaker.down(self.available.client(endpoint))
            if why is not None:
                self.down[endpoint] = why
                self.tried(endpoint, UNAVAILABLE, f"{why}; not asked again yet")

    def model_of(self, endpoint: str) -> str:
        return self.available.client(endpoint).model

    def usable(self, endpoint: str) -> bool:
        """Whether ``endpoint`` is configured and has not failed in this request."""
        configured = endpoint == SMALL or self.available.large is not None
        return configured and endpoint not in self.down

    def chose(self, endpoint: str, reason: str) -> None:
        self.endpoint, self.reason = endpoint, reason

    def tried(self, endpoint: str, outcome: str, detail: str = "") -> None:
        self.attempts.append(Attempt(endpoint, self.model_of(endpoint), outcome, detail))
        if outcome != UNAVAILABLE:
            _breaker.answered(self.available.client(endpoint))

    def unavailable(self, endpoint: str, exc: LLMUnavailableError) -> None:
        reason = getattr(exc, "reason", "unavailable")
        self.down[endpoint] = reason
        self.tried(endpoint, UNAVAILABLE, reason)
        _breaker.failed(self.available.client(endpoint), reason)

    def start(self, endpoint: str) -> str | None:
        """``endpoint`` if it may be asked, else the one to ask instead (or None)."""
        return endpoint if self.usable(endpoint) else self.fall_back(endpoint)

    def failed(self, endpoint: str, exc: Exception) -> None:
        """``endpoint`` answered, but with an error (not a verifiable answer)."""
        if isinstance(exc, LLMUnavailableError):
            self.unavailable(endpoint, exc)
            return
        self.down[endpoint] = _FAILED_WHY
        self.tried(endpoint, FAILED, str(exc)[:300])

    def other(self, endpoint: str) -> str:
        return LARGE if endpoint == SMALL else SMALL

    def fall_back(self, failed: str) -> str | None:
        """The endpoint to use after ``failed`` is down (recording why), or None."""
        other = self.other(failed)
        if not self.usable(other):
            return None
        self.chose(other, SMALL_UNAVAILABLE if failed == SMALL else LARGE_UNAVAILABLE)
        return other

    def none_available(self) -> None:
        self.endpoint, self.reason = None, NO_MODEL_AVAILABLE

    def no_model_needed(self) -> None:
        self.endpoint, self.reason = None, NO_MODEL_NEEDED

    def warnings(self) -> list[str]:
        """In words: each endpoint that was down, unless the result says so itself (when no
        model answered at all, the result's own warning says it)."""
        if self.endpoint is None:
            return []
        kept = "kept" if self.endpoint == SMALL else "shown"
        return [
            f"The {endpoint} model ({self.model_of(endpoint)}) "
            + ("failed" if why == _FAILED_WHY else f"is unavailable ({why})")
            + f"; the {self.endpoint} model's result is {kept}."
            for endpoint, why in self.down.items()
        ]

    def unavailable_reason(self) -> str:
        """Why no model answered, in words ("connection refused", "timed out"...)."""
        return ", ".join(dict.fromkeys(self.down.values())) or "unavailable"

    def explanation(self) -> str:
        if self.reason == NO_MODEL_NEEDED:
            return "No model was asked: no passage of the documents matches the request."
        if self.endpoint is None:
            return (
                f"No language model could be reached ({self.unavailable_reason()}); the result "
                "quotes the documents instead."
            )
        model = self.model_of(self.endpoint)
        if self.escalated:
            small = self.model_of(SMALL)
            return (
                f"Retried on the large model {model} because the small model {small}'s answer "
                "could not be verified against the documents."
            )
        return f"Produced by the {self.endpoint} model {model}: {_WHY[self.reason]}."

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model_of(self.endpoint) if self.endpoint else None,
            "endpoint": self.endpoint,
            "reason": self.reason,
            "escalated": self.escalated,
            "attempts": [a.as_dict() for a in self.attempts],
            "explanation": self.explanation(),
        }
