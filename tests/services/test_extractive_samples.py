"""Extractive answers on the shipped samples, through the real pipeline and the real embedding
model: the quoted sentence is the one that answers the question, and it is quoted whole. The
model writes nothing (``generate=False``); SmolLM2's server counts the tokens with the context
the embedded server has by default (8,192 tokens), so the evidence is what production has."""

from __future__ import annotations

from pathlib import Path

import pytest

from docproc.pipeline.answer import relevance
from docproc.pipeline.llm.client import LLMClient
from docproc.pipeline.llm.server import default_model_path
from docproc.services import answers
from tests.conftest import SMOLLM2_MODEL, served

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
CLAUSE_11_1 = (
    "The Customer may terminate this Agreement or any SOW for convenience\n on sixty (60) days' "
    "written notice to the Provider, subject to payment for Services performed\nup to the date "
    "of termination."
)


@pytest.fixture(scope="module")
def smollm2_8k():
    """A client of SmolLM2 served with the embedded server's default context."""
    with served(default_model_path(), 8192, "smollm2-8k", SMOLLM2_MODEL) as server:
        with LLMClient(server.base_url, SMOLLM2_MODEL, timeout_s=60.0) as client:
            yield client


@pytest.fixture
def samples_matter(index_document):
    matter = None
    documents = {}
    for name in ("master-services-agreement.pdf", "discharge-summary.docx"):
        matter, documents[name] = index_document("samples", name, (SAMPLES / name).read_bytes())
    return matter, documents


def quoted(answer) -> list[str]:
    return [c["quote"] for c in answer.citations if c["verified"]]


def test_termination_question_quotes_clause_11_1(samples_matter, smollm2_8k):
    matter, _ = samples_matter

    answer = answers.ask(
        matter, "What is the termination notice period?", client=smollm2_8k, generate=False
    )

    quotes = quoted(answer)
    assert (answer.method, answer.found) == ("extractive", True)
    assert quotes[0] == CLAUSE_11_1
    assert not any("increase the rates" in q or "liability" in q for q in quotes)


def test_parties_question_quotes_the_sentence_naming_the_parties(samples_matter, smollm2_8k):
    matter, _ = samples_matter

    answer = answers.ask(
        matter, "Who are the parties to the agreement?", client=smollm2_8k, generate=False
    )

    (quote,) = quoted(answer)
    assert quote.startswith('This Master Services Agreement (the "Agreement")')
    assert "Halvorsen Ridge Logistics LLC" in quote
    assert quote.endswith('United\nKingdom (the "Provider").')


def test_every_quote_is_one_whole_sentence_or_row_of_its_page(samples_matter, smollm2_8k):
    matter, documents = samples_matter
    pages = {(d.pk, p.number): p.text for d in documents.values() for p in d.pages.all()}

    answer = answers.ask(
        matter,
        "What dose of metoprolol was the patient discharged on?",
        client=smollm2_8k,
        generate=False,
    )

    metoprolol = (
        "Metoprolol succinate | 50 mg | once daily | by mouth | New; hold if heart rate below "
        "55/min"
    )
    assert metoprolol in quoted(answer)
    for citation in answer.citations:
        page = pages[(citation["document"], citation["page"])]
        units = [page[a:b] for a, b in relevance.quotable_spans(page)]
        assert citation["quote"] in units
        assert page[citation["char_start"] : citation["char_end"]] == citation["quote"]


def test_question_the_samples_do_not_answer_is_declined(samples_matter, smollm2_8k):
    matter, _ = samples_matter

    answer = answers.ask(
        matter, "What is the patient's blood type?", client=smollm2_8k, generate=False
    )

    assert (answer.found, answer.answer, answer.citations) == (
        False,
        answers.NOT_IN_DOCUMENTS,
        [],
    )
