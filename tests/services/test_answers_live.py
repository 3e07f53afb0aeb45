"""Answers, summaries and extraction against a REAL OpenAI-compatible server (llama.cpp via
xllamacpp) serving a deterministic tiny model with a deliberately small context (1,024 tokens):
the prompt must always fit, compression must be disclosed, and nothing is invented."""

from __future__ import annotations

import pytest

from docproc.models import Summary
from docproc.pipeline.llm.client import LLMClient
from docproc.services import answers, extraction, summaries
from tests.factories.files import make_text_pdf
from tests.pipeline.answer.test_prompts import HOSTILE
from tests.support.llm_servers import pick_free_port

pytestmark = pytest.mark.django_db

TINY_REPLY = "one two three four five six seven eight nine ten"
CONTRACT = [
    f"{n}. CLAUSE {n}\n\nThe supplier shall deliver the services described in schedule {n} "
    f"with reasonable care. Invoices under clause {n} are payable within thirty days of receipt. "
    f"Disputes under clause {n} go first to the steering committee."
    for n in range(1, 13)
]


@pytest.fixture(autouse=True)
def small_answer_reserve(settings):
    settings.LLM_ANSWER_TOKENS = 48


def test_answer_fits_the_small_context_and_discloses_what_was_left_out(
    index_document, tiny_answer_server
):
    matter, document = index_document("tiny-ask", "msa.pdf", make_text_pdf(CONTRACT))

    answer = answers.ask(matter, "When are invoices payable?", client=tiny_answer_server)

    context = answer.context
    assert answer.found is True
    assert answer.usage.prompt_tokens + 48 <= 1024
    assert 0 < context["tokens_used"] <= context["token_budget"]
    assert context["compression_ratio"] > 1.0
    assert context["pages_used"] and context["pages_left_out"]
    assert {p["page"] for p in context["pages_used"]}.isdisjoint(
        {p["page"] for p in context["pages_left_out"]}
    )


def test_unverifiable_model_answer_is_replaced_by_verified_quotes(
    index_document, tiny_answer_server
):
    matter, document = index_document("tiny-extractive", "msa.pdf", make_text_pdf(CONTRACT))

    answer = answers.ask(matter, "When are invoices payable?", client=tiny_answer_server)

    pages = {p.number: p.text for p in document.pages.all()}
    assert (answer.method, answer.model_answer) == ("extractive", TINY_REPLY)
    assert answer.warnings == [answers.EXTRACTIVE_NOTE]
    assert answer.citations and all(c["verified"] for c in answer.citations)
    for citation in answer.citations:
        assert (
            pages[citation["page"]][citation["char_start"] : citation["char_end"]]
            == (citation["quote"])
        )
        assert "payable within thirty days" in citation["quote"]


def test_question_the_documents_do_not_touch_is_answered_without_the_model(index_document):
    matter, _ = index_document("tiny-notfound", "msa.pdf", make_text_pdf(CONTRACT))
    nobody_listens = LLMClient(f"http://127.0.0.1:{pick_free_port()}/v1", "none", max_retries=0)

    answer = answers.ask(matter, "What is the capital of Peru?", client=nobody_listens)

    assert (answer.found, answer.answer) == (False, answers.NOT_IN_DOCUMENTS)
    assert answer.citations == []


def test_question_narrowed_to_a_document_that_does_not_touch_it_is_not_found(index_document):
    """The relevance check stays within the narrowing: the answer being in another document of
    the matter does not send the question to the model with the wrong document's passages."""
    matter, contract = index_document("tiny-narrowed", "msa.pdf", make_text_pdf(CONTRACT))
    _, pets = index_document(
        "tiny-narrowed",
        "pets.pdf",
        make_text_pdf(["Dogs and cats are welcome in the lobby but must be kept on a leash."]),
    )
    nobody_listens = LLMClient(f"http://127.0.0.1:{pick_free_port()}/v1", "none", max_retries=0)

    narrowed = answers.ask(
        matter, "When are invoices payable?", document_ids=[pets.pk], client=nobody_listens
    )

    assert (narrowed.found, narrowed.answer, narrowed.citations) == (
        False,
        answers.NOT_IN_DOCUMENTS,
        [],
    )
    assert {p["document"] for p in narrowed.context["pages_left_out"]} <= {pets.pk}
    # Unnarrowed, the contract answers: the model is asked (and found down).
    unnarrowed = answers.ask(matter, "When are invoices payable?", client=nobody_listens)
    assert unnarrowed.routing["attempts"] == [
        {"endpoint": "small", "model": "none", "outcome": "unavailable",
         "detail": "connection refused"},
    ]  # fmt: skip


def test_model_server_down_answers_by_quoting_the_documents_with_a_warning(index_document):
    matter, document = index_document("tiny-down", "msa.pdf", make_text_pdf(CONTRACT))
    nobody_listens = LLMClient(
        f"http://127.0.0.1:{pick_free_port()}/v1", "none", max_retries=1, timeout_s=2
    )

    answer = answers.ask(matter, "When are invoices payable?", client=nobody_listens)

    pages = {p.number: p.text for p in document.pages.all()}
    assert (answer.found, answer.method, answer.model_answer) == (True, "extractive", None)
    assert answer.warnings == [answers.MODEL_UNAVAILABLE_NOTE.format(reason="connection refused")]
    assert answer.citations and all(c["verified"] for c in answer.citations)
    for citation in answer.citations:
        assert "payable within thirty days" in citation["quote"]
        span = pages[citation["page"]][citation["char_start"] : citation["char_end"]]
        assert span == citation["quote"]
    assert (answer.context["tokens_used"], answer.context["token_budget"]) == (0, 0)


def test_streamed_answer_sends_the_text_then_the_verified_answer(
    index_document, tiny_answer_server
):
    matter, _ = index_document("tiny-stream", "msa.pdf", make_text_pdf(CONTRACT))

    events = list(
        answers.stream_ask(matter, "When are invoices payable?", client=tiny_answer_server)
    )

    deltas = "".join(e["text"] for e in events if e["type"] == "delta")
    final = events[-1]
    assert deltas.strip() == TINY_REPLY
    assert final["type"] == "answer" and final["model_answer"] == TINY_REPLY
    assert [e["type"] for e in events].count("answer") == 1


def test_injected_instructions_stay_fenced_in_the_prompt(index_document, tiny_answer_server):
    matter, _ = index_document(
        "tiny-injection", "evil.pdf", make_text_pdf([HOSTILE.replace("\n", " ")])
    )
    sent = []
    original = tiny_answer_server.chat

    def spy(messages, **kwargs):
        sent.extend(messages)
        return original(messages, **kwargs)

    tiny_answer_server.chat = spy
    try:
        answers.ask(matter, "When is payment due?", client=tiny_answer_server)
    finally:
        del tiny_answer_server.chat

    system, user = sent
    assert "PWNED" not in system.content
    assert user.content.count("<<<END DOC") == user.content.count("<<<DOC ")
    assert "‹‹‹END DOC 1›››" in user.content


def test_long_document_is_summarised_map_reduce_with_full_coverage_and_cached(
    index_document, tiny_answer_server, settings
):
    # Short section summaries, so several fit one reduce window in the 1,024-token context.
    settings.LLM_SUMMARY_TOKENS = 24
    _, document = index_document("tiny-summary", "msa.pdf", make_text_pdf(CONTRACT))

    first = summaries.summarize(document, client=tiny_answer_server)
    second = summaries.summarize(document, client=tiny_answer_server)

    assert first["method"].startswith("map-reduce (")
    assert first["coverage"] == {"pages_covered": 12, "pages_total": 12}
    assert first["summary"] == TINY_REPLY
    assert (first["cached"], second["cached"]) == (False, True)
    assert Summary.objects.filter(document=document).count() == 1


def test_extraction_of_an_unusable_model_answer_gives_null_with_a_reason(
    index_document, tiny_answer_server, settings
):
    settings.LLM_EXTRACTION_TOKENS = 64
    _, document = index_document("tiny-extract", "msa.pdf", make_text_pdf(CONTRACT))
    schema = {
        "title": "payment",
        "type": "object",
        "properties": {"payment_days": {"type": "string", "description": "Days to pay."}},
    }

    result = extraction.extract(document, schema, client=tiny_answer_server)

    field = result["fields"]["payment_days"]
    assert result["schema"] == "payment"
    assert (field["value"], field["verified"]) == (None, False)
    assert field["reason"].startswith("the model's answer for this field was unusable")
    assert "cut off at max_tokens=64" in field["reason"]


def test_summary_that_cannot_shrink_to_fit_is_refused_not_cut_to_its_first_part(
    index_document, tiny_answer_server
):
    _, document = index_document("tiny-too-long", "msa.pdf", make_text_pdf(CONTRACT))

    with pytest.raises(summaries.SummaryError, match="too long to summarise with this model"):
        summaries.summarize(document, client=tiny_answer_server)
