"""The error registry: one entry per code, and each failure a service raises described by one."""

from __future__ import annotations

import pytest

from docproc.pipeline.llm.client import (
    ContextOverflowError,
    LLMError,
    LLMResponseError,
    LLMUnavailableError,
)
from docproc.services import error_codes
from docproc.services.answers import QuestionError
from docproc.services.extraction import SchemaError
from docproc.services.summaries import SummaryError


def test_no_two_entries_share_a_code():
    entries = [v for v in vars(error_codes).values() if isinstance(v, error_codes.ErrorCode)]
    codes = [entry.code for entry in entries]

    assert sorted({code for code in codes if codes.count(code) > 1}) == []
    assert "llm_unavailable" in codes


@pytest.mark.parametrize(
    "exc, expected",
    [
        (QuestionError("Ask a question."), ("invalid", 400, "Ask a question.", "question")),
        (SchemaError("Bad schema."), ("invalid", 400, "Bad schema.", "schema")),
        (SummaryError("No text."), ("conflict", 409, "No text.", None)),
        (ContextOverflowError("Too long."), ("context_overflow", 400, "Too long.", None)),
        (
            LLMUnavailableError("refused at 127.0.0.1:9", reason="connection refused"),
            (
                "llm_unavailable",
                503,
                "The language model is unavailable (connection refused); try again shortly.",
                None,
            ),
        ),
        (
            LLMResponseError("not JSON: {"),
            (
                "llm_bad_response",
                502,
                "The language model returned something other than what was asked for; try again.",
                None,
            ),
        ),
        (LLMError("Unknown model."), ("llm_bad_response", 502, "Unknown model.", None)),
    ],
)
def test_each_service_failure_has_its_code_status_and_words(exc, expected):
    failure = error_codes.describe(exc)

    assert (failure.code, failure.status, failure.detail, failure.field) == expected


def test_an_exception_without_an_entry_is_a_server_error_that_says_nothing_of_its_cause():
    failure = error_codes.describe(RuntimeError("secret path /var/x"))

    assert failure.as_error() == {
        "code": "server_error",
        "detail": "An unexpected error occurred. It has been logged; please try again later.",
    }
