"""Text handling shared by both flows: sentence spans, and text as matching compares it."""

from __future__ import annotations

from docproc.pipeline.text import normalize_for_comparison, split_sentences

# Sentences


def test_abbreviations_decimals_and_section_numbers_do_not_end_a_sentence():
    text = (
        "Mr. Smith and Dr. Jones of Acme Inc. signed, i.e. agreed, e.g. on Jan. 5. "
        "See Section 4.2(b) and No. 7 of the U.S. rules at 4.2 percent. "
        "Was it paid? Yes! 1. Items follow."
    )

    spans = split_sentences(text)

    assert [text[start:end] for start, end in spans] == [
        "Mr. Smith and Dr. Jones of Acme Inc. signed, i.e. agreed, e.g. on Jan. 5.",
        "See Section 4.2(b) and No. 7 of the U.S. rules at 4.2 percent.",
        "Was it paid?",
        "Yes!",
        "1. Items follow.",
    ]


def test_cjk_sentences_end_at_full_stops_without_spaces():
    text = "合同生效。买方付款！是否交付？"

    assert [text[s:e] for s, e in split_sentences(text)] == [
        "合同生效。",
        "买方付款！",
        "是否交付？",
    ]


def test_a_lowercase_word_after_a_period_continues_the_sentence():
    text = "Apples, pears, etc. and plums. Next one."

    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Apples, pears, etc. and plums.",
        "Next one.",
    ]


# Matching


def test_comparison_folds_dashes_spaces_and_case():
    assert normalize_for_comparison("Thirty\u2013Six\u00a0 MONTHS\n") == "thirty-six months"
