"""Context compression: whole sentences chosen for the query, within the budget, exactly cited."""

from __future__ import annotations

import random
import re
from dataclasses import replace

import pytest

from docproc.pipeline.answer.compress import CompressedContext, compress, render_evidence
from docproc.pipeline.types import Passage
from docproc.pipeline.wordpieces import word_piece_counter

LEASE_PAGE = (
    "This lease is made between Harbour Estates Ltd and Jane Doe. "
    "The term begins on 1 May 2024 and runs for five years. "
    "Rent of 2,400 is payable monthly in advance. "
    "Section 4.2(b) allows the tenant to terminate the lease on ninety days written notice. "
    "The landlord shall keep the roof and the structure in repair. "
    "The tenant shall not keep animals on the premises without consent. "
    "Notices must be sent to the addresses given above."
)
SCHEDULE_PAGE = (
    "Schedule 1 lists the fixtures and fittings. "
    "The kitchen appliances remain the property of the landlord. "
    "Carpets and curtains are included in the letting."
)
INSURANCE_PAGE = (
    "The landlord insures the building against fire and flood. "
    "The tenant insures their own contents."
)
ANSWER = "Section 4.2(b) allows the tenant to terminate the lease on ninety days written notice."
PAGES = {(1, 1): LEASE_PAGE, (1, 2): SCHEDULE_PAGE, (2, 1): INSURANCE_PAGE}


@pytest.fixture(scope="module")
def count():
    return word_piece_counter().count


def passage(document: int, page: int, start: int, end: int, score: float, chunk: int = 0):
    text = PAGES[(document, page)]
    return Passage(
        chunk=chunk or document * 100 + page * 10 + start,
        document=document,
        filename=f"doc{document}.pdf",
        page=page,
        char_start=start,
        char_end=end,
        text=text[start:end],
        score=score,
    )


def overlapping_lease_passages() -> list[Passage]:
    """The lease page as three chunks, each repeating the end of the one before."""
    first_end = LEASE_PAGE.index("Section") - 1
    second_start = LEASE_PAGE.index("Rent")
    second_end = LEASE_PAGE.index("The tenant shall not") - 1
    third_start = LEASE_PAGE.index("The landlord shall")
    return [
        passage(1, 1, 0, first_end, 0.5),
        passage(1, 1, second_start, second_end, 0.9),
        passage(1, 1, third_start, len(LEASE_PAGE), 0.4),
    ]


def all_passages() -> list[Passage]:
    return [
        *overlapping_lease_passages(),
        passage(1, 2, 0, len(SCHEDULE_PAGE), 0.3),
        passage(2, 1, 0, len(INSURANCE_PAGE), 0.2),
    ]


def rendered_cost(context: CompressedContext, count) -> int:
    return sum(count(render_evidence(e)) for e in context.evidence)


def sentences_of(page: str) -> list[str]:
    return re.split(r"(?<=\.) ", page)


def test_budget_is_never_exceeded_whatever_the_budget(count):
    rng = random.Random(3)
    passages = all_passages()

    for budget in [0, 1, 5, 17, 18, 19, 20, *rng.sample(range(21, 400), 60)]:
        context = compress("When can the tenant terminate?", passages, budget, count)

        assert context.tokens_used <= budget
        assert context.tokens_used == rendered_cost(context, count)


def test_kept_evidence_is_the_exact_slice_of_its_page(count):
    context = compress(
        "landlord repair roof insurance", all_passages(), 10_000, count, relevance_floor=0.0
    )

    assert context.evidence
    for evidence in context.evidence:
        page_text = PAGES[(evidence.document, evidence.page)]
        assert page_text[evidence.char_start : evidence.char_end] == evidence.text


def test_sentence_repeated_by_overlapping_passages_is_kept_once(count):
    context = compress(
        "rent terminate roof", overlapping_lease_passages(), 10_000, count, relevance_floor=0.0
    )

    kept = "".join(e.text for e in context.evidence)
    for sentence in sentences_of(LEASE_PAGE):
        assert kept.count(sentence) == 1


def test_same_sentence_on_two_pages_is_kept_once(count):
    boilerplate = "All amounts are stated in pounds sterling."
    PAGES[(3, 1)] = f"{boilerplate} The deposit is 4,800."
    PAGES[(3, 2)] = f"{boilerplate} Interest accrues daily."
    try:
        passages = [
            passage(3, 1, 0, len(PAGES[(3, 1)]), 0.9),
            passage(3, 2, 0, len(PAGES[(3, 2)]), 0.8),
        ]
        context = compress("amounts pounds deposit interest", passages, 10_000, count)
    finally:
        del PAGES[(3, 1)], PAGES[(3, 2)]

    assert [e.text.count(boilerplate) for e in context.evidence] == [1, 0]


def test_sentence_longer_than_the_budget_is_left_out_not_cut(count):
    long_sentence = "The tenant covenants " + "to pay and to observe, " * 40 + "as agreed."
    PAGES[(4, 1)] = f"{long_sentence} The tenant may terminate early."
    try:
        context = compress(
            "tenant covenants terminate", [passage(4, 1, 0, len(PAGES[(4, 1)]), 0.9)], 60, count
        )
    finally:
        del PAGES[(4, 1)]

    assert count(long_sentence) > 60
    assert [e.text for e in context.evidence] == ["The tenant may terminate early."]


def test_answer_sentence_is_kept_under_a_tight_budget(count):
    passages = all_passages()
    answer_cost = count(render_evidence(Passage(0, 1, "doc1.pdf", 1, 0, 0, ANSWER, id=1)))

    context = compress("When may the tenant terminate the lease?", passages, answer_cost, count)

    assert [e.text for e in context.evidence] == [ANSWER]


def test_rest_of_the_best_hits_page_outranks_a_better_ranked_passage_of_another_document(count):
    # Both candidate sentences mention the tenant once; the lease's ranks lower, but its page
    # holds the best hit, so it is likelier to be what the question is about.
    tenant_clause = "The tenant shall not keep animals on the premises without consent."
    passages = [
        passage(1, 1, 0, LEASE_PAGE.index("Section") - 1, 0.9),
        passage(2, 1, 0, len(INSURANCE_PAGE), 0.8),
        passage(1, 1, LEASE_PAGE.index(tenant_clause), len(LEASE_PAGE), 0.7),
    ]
    budget = count(render_evidence(Passage(0, 1, "doc1.pdf", 1, 0, 0, tenant_clause, id=1)))

    context = compress("tenant", passages, budget, count)

    assert [e.text for e in context.evidence] == [tenant_clause]


def test_pages_retrieved_but_contributing_nothing_are_listed_as_left_out(count):
    passages = all_passages()
    answer_cost = count(render_evidence(Passage(0, 1, "doc1.pdf", 1, 0, 0, ANSWER, id=1)))

    context = compress("When may the tenant terminate the lease?", passages, answer_cost, count)

    assert context.pages_used == ((1, 1),)
    assert context.pages_left_out == ((1, 2), (2, 1))


def test_adjacent_kept_sentences_merge_into_one_evidence_numbered_in_page_order(count):
    context = compress("landlord", all_passages(), 10_000, count, relevance_floor=0.0)

    assert [(e.id, e.document, e.page) for e in context.evidence] == [
        (1, 1, 1), (2, 1, 2), (3, 2, 1),
    ]  # fmt: skip
    assert context.evidence[0].text == LEASE_PAGE  # every sentence kept: one run


def test_sentences_far_below_the_best_are_left_out_even_when_the_budget_has_room(count):
    passages = all_passages()

    floored = compress("When may the tenant terminate the lease?", passages, 10_000, count)
    filled = compress(
        "When may the tenant terminate the lease?", passages, 10_000, count, relevance_floor=0.0
    )

    assert floored.pages_left_out == ((2, 1),)  # another document, sharing only "tenant"
    assert filled.pages_left_out == ()
    assert floored.tokens_used < filled.tokens_used
    assert ANSWER in "".join(e.text for e in floored.evidence)


def test_accounting_reports_original_and_used_tokens_and_their_ratio(count):
    passages = all_passages()
    original = sum(
        count(render_evidence(replace(p, id=i))) for i, p in enumerate(passages, start=1)
    )

    context = compress("tenant terminate", passages, 80, count)

    assert context.original_tokens == original
    assert context.token_budget == 80
    assert context.compression_ratio == round(original / context.tokens_used, 4)


def test_custom_render_is_what_is_counted(count):
    def render(e: Passage) -> str:
        return f"<source id={e.id} page={e.page}>{e.text}</source>\n"

    context = compress("tenant terminate", all_passages(), 120, count, render=render)

    assert context.tokens_used == sum(count(render(e)) for e in context.evidence)
    assert context.tokens_used <= 120


def test_result_is_the_same_whatever_the_order_passages_arrive_in(count):
    passages = all_passages()

    forward = compress("tenant terminate roof", passages, 90, count)
    backward = compress("tenant terminate roof", passages[::-1], 90, count)
    again = compress("tenant terminate roof", passages, 90, count)

    assert forward.evidence == backward.evidence == again.evidence
    assert forward == again


def test_no_passages_give_an_empty_context(count):
    context = compress("anything", [], 100, count)

    assert context == CompressedContext((), 0, 100, 0, 0.0, (), ())


def test_negative_budget_is_refused(count):
    with pytest.raises(ValueError, match="must not be negative"):
        compress("q", all_passages(), -1, count)


def test_embedding_similarity_finds_an_answer_that_shares_no_word_with_the_query(count):
    from docproc.pipeline.embed import embed_texts

    PAGES[(5, 1)] = (
        "The premises comprise the ground floor. "
        "Dogs and cats are forbidden in the flat. "
        "The car park is shared with other occupiers."
    )
    try:
        passages = [passage(5, 1, 0, len(PAGES[(5, 1)]), 0.9)]
        answer = Passage(
            0, 5, "doc5.pdf", 1, 0, 0, "Dogs and cats are forbidden in the flat.", id=1
        )
        context = compress(
            "can I have pets?", passages, count(render_evidence(answer)), count, embed=embed_texts
        )
    finally:
        del PAGES[(5, 1)]

    assert [e.text for e in context.evidence] == ["Dogs and cats are forbidden in the flat."]
