"""Citation checks: quotes must occur in the cited page, statements must be backed by them."""

from __future__ import annotations

import pytest

from docproc.pipeline.answer.citations import (
    Support,
    locate_quote,
    statement_support,
    value_in_quote,
)

PAGE = (
    "4. TERM AND TERMINATION\n\nThe initial term of this Agreement is thirty-six (36)\n"
    "months from the Effective Date. Fees of USD 1,250,000 are payable “within thirty days”."
)


def test_quote_with_other_whitespace_and_case_is_found_at_its_page_offsets():
    span = locate_quote("the INITIAL term of this agreement is thirty-six (36) months", PAGE)

    assert span is not None
    assert PAGE[span[0] : span[1]] == (
        "The initial term of this Agreement is thirty-six (36)\nmonths"
    )


def test_straight_quotes_match_typographic_ones():
    span = locate_quote('payable "within thirty days"', PAGE)

    assert span is not None
    assert PAGE[span[0] : span[1]] == "payable “within thirty days”"


def test_fabricated_quote_is_not_found():
    assert locate_quote("The initial term of this Agreement is five years", PAGE) is None


def test_a_quote_too_short_to_mean_anything_is_not_accepted():
    assert locate_quote("the", PAGE) is None


def test_statement_with_an_invented_figure_is_not_supported():
    support = statement_support("The initial term is 48 months.", [PAGE])

    assert support.supported is False
    assert support.reason == "numbers not in the cited text: 48"


def test_statement_restating_the_quote_is_supported():
    support = statement_support("The initial term is thirty-six (36) months.", [PAGE])

    assert (support.supported, support.reason) == (True, "")


def test_statement_about_something_else_is_not_supported():
    support = statement_support("Governing law decides disputes by arbitration.", [PAGE])

    assert support.supported is False
    assert support.reason.startswith("only 0% of the statement's words")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1250000, True), ("USD 1,250,000", True), ("1,250,000", True), (1300000, False),
     ("thirty-six (36) months", True), ("five years", False), (None, False)],
)  # fmt: skip
def test_value_must_occur_in_its_own_quote(value, expected):
    assert value_in_quote(value, PAGE) is expected


def test_statement_naming_something_the_quote_does_not_is_not_supported():
    quote = (
        "The United Nations Convention on Contracts for the International Sale of Goods applies."
    )

    support = statement_support(
        "The United Nations Convention on Contracts (Custodictum) applies.", [quote]
    )

    assert (support.supported, support.reason) == (
        False,
        "names not in the cited text: custodictum",
    )


LEASE = (
    "The tenant may sublet the premises with the landlord's written consent. "
    "Pets are not allowed in the building."
)


@pytest.mark.parametrize(
    "statement",
    [
        "The tenant may not sublet the premises.",  # a negation added
        "The tenant can't sublet the premises with consent.",
        "Pets are allowed in the building.",  # a negation dropped
    ],
)
def test_a_statement_saying_the_opposite_of_its_quote_is_not_supported(statement):
    support = statement_support(statement, [LEASE])

    assert (support.supported, support.reason) == (
        False,
        "the statement and the cited text differ in negation",
    )


@pytest.mark.parametrize(
    "statement",
    [
        "The tenant may sublet the premises with written consent.",
        "Pets are not allowed in the building.",  # the negated sentence, restated
        "No pets are allowed in the building.",
    ],
)
def test_a_statement_agreeing_with_the_closest_quoted_sentence_is_supported(statement):
    assert statement_support(statement, [LEASE]) == Support(True, "")


def test_a_verbatim_quote_holding_a_code_that_ends_in_a_number_supports_itself():
    quote = "Principal: Non-ST-elevation myocardial infarction (NSTEMI), ICD-10 I21.4."

    assert statement_support(f"“{quote}”", [quote]) == Support(True, "")


def test_a_verbatim_quote_negated_only_after_a_semicolon_supports_itself():
    quote = "One drug-eluting stent to the mid LAD; TIMI 3 flow restored; no complications."

    assert statement_support(f"“{quote}”", [quote]) == Support(True, "")
