"""Search hits on the matter page have the query's words marked, and nothing of the document's
text is ever trusted as HTML."""

from __future__ import annotations

from django.utils.safestring import SafeString

from docproc.web.highlight import highlight, match_spans, query_terms


def test_query_words_are_marked_ignoring_case():
    marked = highlight("RENT is due; the Rent Review follows.", "rent")

    assert marked == "<mark>RENT</mark> is due; the <mark>Rent</mark> Review follows."


def test_plural_and_singular_forms_match_each_other():
    marked = highlight("One contract, two contracts.", "contracts")

    assert marked == "One <mark>contract</mark>, two <mark>contracts</mark>."


def test_a_word_inside_a_longer_word_is_not_marked():
    assert highlight("The current rental terms.", "rent") == "The current rental terms."


def test_stop_words_of_the_query_are_not_marked():
    marked = highlight("What is the rent of the flat?", "what is the rent")

    assert marked == "What is the <mark>rent</mark> of the flat?"


def test_document_text_is_escaped_and_only_marks_are_markup():
    text = 'Rent <script>alert("x")</script> & <b>bold</b>'

    marked = highlight(text, "rent script")

    assert isinstance(marked, SafeString)
    assert marked == (
        "<mark>Rent</mark> &lt;<mark>script</mark>&gt;alert(&quot;x&quot;)&lt;/"
        "<mark>script</mark>&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
    )


def test_a_query_cannot_inject_markup_either():
    marked = highlight("Pay <now>.", "<now> pay")

    assert marked == "<mark>Pay</mark> &lt;<mark>now</mark>&gt;."


def test_overlapping_matches_become_one_mark():
    # "ACC-00931" matches whole, and its part "00931" matches as a word inside it.
    marked = highlight("Account ACC-00931 is closed.", "00931 ACC-00931")

    assert marked == "Account <mark>ACC-00931</mark> is closed."


def test_identifiers_with_punctuation_match_whole_ignoring_case():
    marked = highlight("See section 4.2(B) and 14.2(b).", "Section 4.2(b)")

    assert marked == "See <mark>section</mark> <mark>4.2(B)</mark> and 14.2(b)."


def test_adjacent_and_overlapping_spans_are_merged_in_order():
    assert match_spans("abc-def ghi", "def abc-def ghi") == [(0, 7), (8, 11)]


def test_a_query_of_only_stop_words_marks_nothing():
    assert query_terms("what is the") == frozenset()
    assert highlight("What is the rent?", "what is the") == "What is the rent?"


def test_text_without_matches_is_only_escaped():
    assert highlight("a < b", "rent") == "a &lt; b"


def test_a_long_part_of_an_identifier_is_also_marked_on_its_own():
    marked = highlight("Invoice 00931 for account ACC-00931.", "ACC-00931")

    assert marked == "Invoice <mark>00931</mark> for account <mark>ACC-00931</mark>."
