"""Property-based fuzzing of the answer stages (hypothesis): a located quote always points at
text of its page that says the same; compression never exceeds its budget and keeps only exact
slices of the retrieved pages; the citation checker never verifies a citation whose quote is
not in its page, whatever the model writes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from docproc.pipeline.answer.attribution import attribute
from docproc.pipeline.answer.citations import locate_quote
from docproc.pipeline.answer.compress import compress
from docproc.pipeline.text import normalize_for_comparison
from docproc.pipeline.types import Passage
from tests.support.fuzzing import fuzz_settings

FUZZ = fuzz_settings(150)

text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=300
)
sentence = st.from_regex(r"[A-Z][a-z]{2,9}( [a-z0-9]{1,9}){3,12}[.!?]", fullmatch=True)
page = st.lists(sentence, min_size=1, max_size=8).map(" ".join)


@FUZZ
@given(quote=text, page_text=text)
def test_a_located_quote_is_a_span_of_its_page_that_says_the_same(quote, page_text):
    span = locate_quote(quote, page_text)

    if span is not None:
        start, end = span
        assert 0 <= start < end <= len(page_text)
        assert normalize_for_comparison(quote).strip(" .,;:\"'") in normalize_for_comparison(
            page_text[start:end]
        ) or normalize_for_comparison(page_text[start:end]) in normalize_for_comparison(quote)


@FUZZ
@given(pages=st.lists(page, min_size=1, max_size=4), query=text, budget=st.integers(0, 400))
def test_compression_keeps_exact_page_slices_within_the_budget(pages, query, budget):
    passages = [
        Passage(chunk=n, document=1, filename="a.pdf", page=n, char_start=0,
                char_end=len(p), text=p, score=1.0 / n)
        for n, p in enumerate(pages, start=1)
    ]  # fmt: skip

    context = compress(query, passages, budget, lambda s: len(s.split()))

    assert context.tokens_used <= budget
    for kept in context.evidence:
        assert pages[kept.page - 1][kept.char_start : kept.char_end] == kept.text
    assert [e.id for e in context.evidence] == list(range(1, len(context.evidence) + 1))


@FUZZ
@given(page_text=page, answer=text, marker=st.integers(0, 3))
def test_a_citation_is_verified_only_against_text_its_page_holds(page_text, answer, marker):
    evidence = [Passage(1, 1, "a.pdf", 1, 0, len(page_text), page_text, id=1)]

    attributed = attribute(f"{answer} [{marker}]", evidence, {(1, 1): page_text})

    for citation in attributed.citations:
        if citation.verified:
            assert citation.char_start is not None and citation.char_end is not None
            assert 0 <= citation.char_start < citation.char_end <= len(page_text)
            assert page_text[citation.char_start : citation.char_end] == citation.quote
