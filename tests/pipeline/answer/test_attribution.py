"""Citations attached to generated text are located in the page and checked for support."""

from __future__ import annotations

from docproc.pipeline.answer.attribution import attribute
from docproc.pipeline.types import Passage

PAGE_2 = (
    "4. TERM AND TERMINATION\n\nThe initial term is thirty-six (36) months from the "
    "Effective Date. Either party may terminate for material breach on sixty days notice."
)
PAGE_3 = "7. GOVERNING LAW\n\nThis Agreement is governed by the laws of the State of Delaware."
TERM = Passage(11, 5, "msa.pdf", 2, 25, len(PAGE_2), PAGE_2[25:], id=1)
LAW = Passage(12, 5, "msa.pdf", 3, 18, len(PAGE_3), PAGE_3[18:], id=2)
PAGES = {(5, 2): PAGE_2, (5, 3): PAGE_3}


def test_marked_statement_cites_its_passage_with_page_offsets():
    result = attribute("The initial term is thirty-six (36) months [1].", [TERM, LAW], PAGES)

    (citation,) = result.citations
    assert result.text == "The initial term is thirty-six (36) months [1]."
    assert (citation.marker, citation.page, citation.verified, citation.inferred) == (
        1, 2, True, False,
    )  # fmt: skip
    assert PAGE_2[citation.char_start : citation.char_end] == citation.quote
    assert citation.quote == "The initial term is thirty-six (36) months from the Effective Date."


def test_statement_with_an_invented_number_is_cited_but_not_verified():
    result = attribute("The initial term is 48 months [1].", [TERM], PAGES)

    (citation,) = result.citations
    assert citation.verified is False
    assert citation.reason == "numbers not in the cited text: 48"
    assert result.all_verified is False


def test_unmarked_statement_is_attributed_to_the_passage_sharing_its_words():
    result = attribute("The agreement is governed by Delaware law.", [TERM, LAW], PAGES)

    (citation,) = result.citations
    assert result.text == "The agreement is governed by Delaware law [2]."
    assert (citation.marker, citation.page, citation.inferred, citation.verified) == (
        2, 3, True, True,
    )  # fmt: skip


def test_marker_for_a_passage_that_was_never_provided_is_unverified():
    result = attribute("Fees are due monthly [7].", [TERM], PAGES)

    (citation,) = result.citations
    assert (citation.marker, citation.verified) == (7, False)
    assert citation.reason == "cites a passage that was not provided"


def test_evidence_whose_page_text_changed_fails_verification():
    altered = {(5, 2): PAGE_2.replace("thirty-six (36)", "twelve (12)"), (5, 3): PAGE_3}

    result = attribute("The initial term is thirty-six (36) months [1].", [TERM], altered)

    (citation,) = result.citations
    assert (citation.verified, citation.reason) == (
        False, "the quote does not occur in the cited page",
    )  # fmt: skip


def test_statement_sharing_nothing_with_any_passage_stays_uncited():
    result = attribute("one two three four five six seven eight nine ten", [TERM, LAW], PAGES)

    assert result.citations == ()
    assert result.uncited_statements == ("one two three four five six seven eight nine ten",)


def test_a_false_statement_reusing_a_true_ones_marker_and_quote_stays_unverified():
    """Each statement's citation is checked on that statement's words, and says which statement
    it backs: the true one's verification is not lent to the false one."""
    result = attribute(
        "The initial term is thirty-six (36) months [1]. The initial term is 48 months [1].",
        [TERM],
        PAGES,
    )

    assert result.statements == (
        "The initial term is thirty-six (36) months.",
        "The initial term is 48 months.",
    )
    true, false = result.citations
    assert true.quote == false.quote
    assert (true.statement, true.verified) == (0, True)
    assert (false.statement, false.verified) == (1, False)
    assert false.reason == "numbers not in the cited text: 48"


def test_markers_after_the_full_stop_or_a_closing_quote_belong_to_that_statement():
    result = attribute(
        "The initial term is thirty-six (36) months. [1] “This Agreement is governed by the laws "
        "of the State of Delaware.” [2]",
        [TERM, LAW],
        PAGES,
    )

    assert result.statements == (
        "The initial term is thirty-six (36) months.",
        "“This Agreement is governed by the laws of the State of Delaware.”",
    )
    assert [(c.statement, c.marker, c.inferred, c.verified) for c in result.citations] == [
        (0, 1, False, True),
        (1, 2, False, True),
    ]


def test_a_statement_quoting_the_evidence_cites_the_sentence_it_quotes_not_the_passage():
    page = "Invoices are payable within thirty days. Late invoices carry interest at four percent."
    fees = Passage(13, 6, "fees.pdf", 1, 0, len(page), page, id=1)

    result = attribute(
        "“Late invoices carry interest at four percent.” [1]", [fees], {(6, 1): page}
    )

    (citation,) = result.citations
    assert citation.quote == "Late invoices carry interest at four percent."
    assert page[citation.char_start : citation.char_end] == citation.quote
    assert citation.verified is True


def test_an_unmarked_statement_cites_the_one_whole_sentence_it_draws_on():
    page = (
        "4.1 Fees. The Customer shall pay the fees set out in each SOW. Unless a SOW states\n"
        "otherwise, Services are charged at the rates in Schedule 1. The Provider shall invoice\n"
        "the Customer monthly in arrears, in US dollars."
    )
    fees = Passage(14, 7, "msa.pdf", 2, 0, len(page), page, id=1)

    result = attribute("The Provider invoices the Customer monthly.", [fees], {(7, 2): page})

    (citation,) = result.citations
    assert citation.quote == (
        "The Provider shall invoice\nthe Customer monthly in arrears, in US dollars."
    )
    assert citation.verified is True


def test_a_quoted_table_row_is_cited_whole():
    page = (
        "Medication | Dose | Frequency\nMetoprolol succinate | 50 mg | once daily\nAspirin | 81 mg"
    )
    table = Passage(15, 8, "summary.docx", 1, 0, len(page), page, id=1)

    result = attribute("“Metoprolol succinate | 50 mg” [1]", [table], {(8, 1): page})

    (citation,) = result.citations
    assert citation.quote == "Metoprolol succinate | 50 mg | once daily"
    assert citation.verified is True
