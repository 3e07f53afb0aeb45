"""The routing decisions that need no server: which questions need a calculation, which
documents are long, and when a second endpoint is no second model."""

from __future__ import annotations

import pytest

from docproc.pipeline.llm.client import LLMClient
from docproc.services import routing

SMALL_URL = "http://127.0.0.1:8001/v1"
LARGE_URL = "http://127.0.0.1:8002/v1"


@pytest.mark.parametrize(
    "question",
    [
        "How much did revenue change between 2022 and 2023?",
        "By how much did the annual fee increase?",
        "What is the ratio of debt to equity?",
        "What percentage of patients responded?",
        "What was the revenue growth in 2023?",
        "What is the difference between the two quoted prices?",
        "How much higher is the 2024 fee than the 2023 fee?",
        "What is the average monthly rent?",
        "How did operating margin compare with the prior year?",
        "Was the 5% cap exceeded?",
    ],
)
def test_a_question_about_arithmetic_over_figures_needs_a_calculation(question):
    assert routing.needs_calculation(question) is True


@pytest.mark.parametrize(
    "question",
    [
        "What is the termination notice period?",
        "Who are the parties to the agreement?",
        "When are invoices payable?",
        "Can the supplier change the price list?",
        "What is the total contract value?",
        "How much is the security deposit?",
        "Which drug was the patient prescribed?",
    ],
)
def test_a_question_that_looks_a_fact_up_needs_no_calculation(question):
    assert routing.needs_calculation(question) is False


def test_with_no_large_model_a_calculation_still_goes_to_the_only_model():
    available = routing.Models(LLMClient(SMALL_URL, "small"))

    assert routing.for_question("What is the ratio of A to B?", available) == (
        "small", "only_model",
    )  # fmt: skip


def test_a_document_of_the_configured_length_goes_to_the_large_model(settings):
    settings.LLM_ROUTE_LARGE_PAGES = 20
    available = routing.Models(LLMClient(SMALL_URL, "small"), LLMClient(LARGE_URL, "large"))

    decisions = [routing.for_document(pages, available) for pages in (19, 20)]

    assert decisions == [("small", "default"), ("large", "long_document")]


def test_a_large_endpoint_configured_as_the_small_one_is_no_second_model(settings):
    settings.LLM_LARGE_BASE_URL = SMALL_URL
    settings.LLM_LARGE_MODEL = "same"

    available = routing.models(LLMClient(SMALL_URL, "same"))

    assert available.large is None


def test_the_large_model_is_named_by_its_own_settings(settings):
    settings.LLM_LARGE_BASE_URL = LARGE_URL
    settings.LLM_LARGE_MODEL = "qwen-7b"
    settings.LLM_LARGE_API_KEY = "secret"

    large = routing.models(LLMClient(SMALL_URL, "small")).large

    assert (large.base_url, large.model) == (LARGE_URL, "qwen-7b")
