"""Where a summary's citations point. The prompts' numbering is the summariser's business; a
scripted OpenAI-compatible server (the tiny real model cannot write a meaningful summary) says
what a model would, so each case is exact."""

from __future__ import annotations

import itertools

import pytest

from docproc.pipeline.llm.client import LLMClient
from docproc.services import summaries
from tests.factories.files import make_text_pdf
from tests.support.llm_servers import FakeServer, completion_body, llamacpp_routes

pytestmark = pytest.mark.django_db

PAGES = [
    "The landlord is Acme Property Limited of Leeds.",
    "The tenant must keep the garden tidy at all times.",
    "The monthly rent is 1,250 euros, payable in advance.",
    "Either party may end the lease on three months notice.",
]
# Every text costs the scripted server's ten tokens, so with this context and reserve a window
# holds two passages: the four pages are summarised in two sections, then together.
SUMMARY_RESERVE = 20
CONTEXT = 25 + 10 + SUMMARY_RESERVE + 32


def scripted(replies):
    """A llama.cpp-like server whose chat answers are ``replies``, in order."""
    replies = iter(replies)
    return FakeServer(
        llamacpp_routes(
            lambda handler, body: handler.send_json(200, completion_body(next(replies))),
            n_ctx=CONTEXT,
        )
    )


def test_a_map_reduce_summary_cites_the_page_that_says_it_not_the_section_number(
    index_document, settings
):
    settings.LLM_SUMMARY_TOKENS = SUMMARY_RESERVE
    _, document = index_document("summary-cites", "lease.pdf", make_text_pdf(PAGES))
    replies = [
        "Landlord and garden [1] [2].",
        "Rent and notice [1] [2].",
        "The monthly rent is 1,250 euros [2].",
    ]  # fmt: skip  ([2]: the second section)

    with scripted(replies) as server:
        with LLMClient(server.base_url, "fake", max_retries=0) as client:
            result = summaries.summarize(document, client=client, refresh=True)

    assert result["method"] == "map-reduce (2 sections)"
    assert result["statements"] == ["The monthly rent is 1,250 euros."]
    [citation] = result["citations"]
    assert (citation["page"], citation["verified"], citation["statement"]) == (3, True, 0)
    assert citation["quote"] == "The monthly rent is 1,250 euros, payable in advance."


def test_a_single_pass_summary_cites_the_passages_as_numbered_in_its_prompt(
    index_document, settings
):
    settings.LLM_SUMMARY_TOKENS = SUMMARY_RESERVE
    _, document = index_document("summary-single", "lease.pdf", make_text_pdf(PAGES[2:]))

    with scripted(itertools.repeat("Rent is 1,250 euros a month [1].")) as server:
        with LLMClient(server.base_url, "fake", max_retries=0) as client:
            result = summaries.summarize(document, client=client, refresh=True)

    assert result["method"] == "single pass"
    [citation] = result["citations"]
    assert (citation["page"], citation["marker"], citation["verified"]) == (1, 1, True)
