"""The chunk stage: structure-aware passages, exact page slices, bounded in word pieces."""

from __future__ import annotations

import random

import pytest

from docproc.pipeline.ingest.chunk import MIN_WINDOW_WORD_PIECES, chunk_pages
from docproc.pipeline.text import split_sentences
from docproc.pipeline.types import Block, PageSpan, PageText
from docproc.pipeline.wordpieces import (
    MAX_CONTENT_WORD_PIECES,
    WordPieceCounter,
    word_piece_counter,
)

WORDS = (
    "the supplier shall deliver goods within thirty days after receipt of a written purchase "
    "order and the buyer shall pay each invoice in full unless disputed in good faith"
).split()


@pytest.fixture(scope="module")
def counter() -> WordPieceCounter:
    return word_piece_counter()


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng, rng.randint(6, 24)) for _ in range(sentences))


def contract_page(number: int, seed: int = 0) -> PageText:
    rng = random.Random(seed * 1000 + number)
    text = "\n\n".join(paragraph(rng, rng.randint(1, 9)) for _ in range(6))
    return PageText(number=number, text=text)


def page_with_blocks(*parts: tuple[str, str], number: int = 1) -> PageText:
    """A page whose text is ``parts`` joined by blank lines, each part one block of its kind."""
    text, blocks = "", []
    for kind, part in parts:
        if text:
            text += "\n\n"
        blocks.append(Block(kind, len(text), len(text) + len(part)))
        text += part
    return PageText(number=number, text=text, blocks=tuple(blocks))


def sentences_of(count_each: int, how_many: int, counter: WordPieceCounter) -> list[str]:
    """Distinct sentences of exactly ``count_each`` word pieces each."""
    result = []
    for n in range(how_many):
        text = f"Clause {n} binds " + "the " * (count_each - 5) + "supplier."
        assert counter.count(text) == count_each
        result.append(text)
    return result


def assert_well_formed(chunks: list[PageSpan], pages: list[PageText], max_tokens: int) -> None:
    """The invariants every chunking must keep, checked chunk by chunk."""
    by_number = {page.number: page for page in pages}
    counter = word_piece_counter()
    assert [chunk.ordinal for chunk in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        page_text = by_number[chunk.page].text
        assert chunk.text == page_text[chunk.char_start : chunk.char_end]
        assert chunk.text == chunk.text.strip() != ""
        assert chunk.token_count == counter.count(chunk.text)
        assert chunk.token_count <= max_tokens


def assert_covers_all_text(chunks: list[PageSpan], page: PageText) -> None:
    """Every non-whitespace character of the page lies in some chunk: nothing is dropped."""
    covered = [False] * len(page.text)
    for chunk in chunks:
        if chunk.page == page.number:
            covered[chunk.char_start : chunk.char_end] = [True] * (
                chunk.char_end - chunk.char_start
            )
    missed = [i for i, char in enumerate(page.text) if not char.isspace() and not covered[i]]
    assert missed == []


# Exact slices, ordinals, pages


def test_every_chunk_is_the_exact_trimmed_slice_of_its_page(counter):
    pages = [contract_page(number) for number in range(1, 6)]

    chunks = chunk_pages(pages, counter)

    assert len(chunks) == 18
    assert_well_formed(chunks, pages, 200)
    for page in pages:
        assert_covers_all_text(chunks, page)


def test_ordinals_run_across_the_document_in_page_order(counter):
    pages = [contract_page(3), contract_page(1), contract_page(2)]

    chunks = chunk_pages(pages, counter)

    assert [chunk.ordinal for chunk in chunks] == list(range(len(chunks)))
    page_order = [chunk.page for chunk in chunks]
    assert page_order == sorted(page_order, key=[3, 1, 2].index)


def test_chunks_carry_the_number_of_their_page(counter):
    pages = [PageText(7, "Seventh page."), PageText(12, "Twelfth page.")]

    chunks = chunk_pages(pages, counter)

    assert [(chunk.page, chunk.text) for chunk in chunks] == [
        (7, "Seventh page."),
        (12, "Twelfth page."),
    ]


def test_a_short_page_is_one_chunk_with_its_word_piece_count(counter):
    page = PageText(1, "  The Supplier shall deliver.\n\nPayment is due in 30 days.  \n")

    chunks = chunk_pages([page], counter)

    assert chunks == [
        PageSpan(
            ordinal=0,
            page=1,
            char_start=2,
            char_end=57,
            text="The Supplier shall deliver.\n\nPayment is due in 30 days.",
            token_count=12,
        )
    ]


def test_an_empty_page_gives_no_chunk(counter):
    assert chunk_pages([PageText(1, "")], counter) == []


def test_a_whitespace_only_page_gives_no_chunk_and_the_next_page_starts_at_ordinal_zero(counter):
    pages = [PageText(1, " \n\n\t \n"), PageText(2, "Only text.")]

    chunks = chunk_pages(pages, counter)

    assert [(chunk.ordinal, chunk.page, chunk.text) for chunk in chunks] == [(0, 2, "Only text.")]


def test_chunking_is_deterministic(counter):
    pages = [contract_page(number, seed=7) for number in range(1, 4)]

    first = chunk_pages(pages, counter, max_tokens=80)
    second = chunk_pages(pages, WordPieceCounter(), max_tokens=80)

    assert first == second


# Limits


def test_max_tokens_above_the_models_content_limit_raises_value_error(counter):
    with pytest.raises(ValueError, match="max_tokens must be between 8 and 254"):
        chunk_pages([PageText(1, "Text.")], counter, max_tokens=MAX_CONTENT_WORD_PIECES + 1)


def test_max_tokens_at_the_models_content_limit_is_accepted(counter):
    chunks = chunk_pages([PageText(1, "Text.")], counter, max_tokens=MAX_CONTENT_WORD_PIECES)

    assert [chunk.text for chunk in chunks] == ["Text."]


def test_max_tokens_below_the_smallest_window_raises_value_error(counter):
    with pytest.raises(ValueError, match="max_tokens must be between 8 and 254"):
        chunk_pages([PageText(1, "Text.")], counter, max_tokens=MIN_WINDOW_WORD_PIECES - 1)


def test_negative_overlap_raises_value_error(counter):
    with pytest.raises(ValueError, match="overlap_tokens must not be negative"):
        chunk_pages([PageText(1, "Text.")], counter, overlap_tokens=-1)


# Adversarial text stays within the bound


def test_one_5000_word_sentence_without_punctuation_is_cut_into_bounded_windows(counter):
    rng = random.Random(1)
    page = PageText(1, " ".join(rng.choice(WORDS) for _ in range(5000)))

    chunks = chunk_pages([page], counter, overlap_tokens=0)

    assert_well_formed(chunks, [page], 200)
    assert_covers_all_text(chunks, page)
    assert sum(len(chunk.text.split()) for chunk in chunks) == 5000
    assert all(chunk.token_count >= 100 for chunk in chunks[:-1])


def test_a_page_of_long_urls_and_numbers_stays_within_max_tokens(counter):
    rng = random.Random(2)
    urls = [
        f"https://records.example.com/matter/{rng.randrange(10**12)}/exhibit?page={n}&id="
        + "".join(rng.choice("0123456789abcdef") for _ in range(40))
        for n in range(120)
    ]
    numbers = ["".join(rng.choice("0123456789.,-") for _ in range(60)) for _ in range(120)]
    page = PageText(1, " ".join(urls) + "\n" + "".join(numbers))

    chunks = chunk_pages([page], counter)

    assert_well_formed(chunks, [page], 200)
    assert_covers_all_text(chunks, page)


def test_cjk_text_without_spaces_stays_within_max_tokens(counter):
    rng = random.Random(3)
    hanzi = "合同双方同意供应商应在收到书面订单后三十天内交付货物买方应全额支付发票"
    text = "".join(rng.choice(hanzi) for _ in range(3000))
    page = PageText(1, text[:1500] + "。" + text[1500:])

    chunks = chunk_pages([page], counter, max_tokens=120)

    assert_well_formed(chunks, [page], 120)
    assert_covers_all_text(chunks, page)


def test_hangul_words_longer_than_max_tokens_are_cut_between_syllables(counter):
    # Each syllable is two or three word pieces sharing its span; words stay under 100 pieces.
    rng = random.Random(6)
    syllables = "계약당사자는공급자가서면주문접수후삼십일이내에물품을인도하는데동의한다"
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(20, 30))) for _ in range(20)]
    page = PageText(1, " ".join(words))

    chunks = chunk_pages([page], counter, max_tokens=20, overlap_tokens=0)

    assert_well_formed(chunks, [page], 20)
    assert_covers_all_text(chunks, page)
    assert "".join(chunk.text for chunk in chunks).replace(" ", "") == "".join(words)
    assert all(chunk.token_count >= 10 for chunk in chunks[:-1])


def test_a_word_longer_than_max_tokens_in_word_pieces_is_cut_inside_the_word(counter):
    page = PageText(1, "Pneumonoultramicroscopicsilicovolcanoconiosis" * 2)

    chunks = chunk_pages([page], counter, max_tokens=8, overlap_tokens=0)

    assert_well_formed(chunks, [page], 8)
    assert "".join(chunk.text for chunk in chunks) == page.text


@pytest.mark.parametrize("max_tokens", [8, 9, 10, 17, 50, 254])
def test_mixed_adversarial_text_is_bounded_for_any_max_tokens(counter, max_tokens):
    rng = random.Random(max_tokens)
    parts = [
        ("heading", "4.2(b) Indemnification and Limitation of Liability"),
        ("paragraph", paragraph(rng, 12)),
        (
            "table",
            "\n".join(f"| {n} | INV-{n:05d} | {rng.random() * 1e6:,.2f} |" for n in range(60)),
        ),
        ("list_item", "• " + " ".join(rng.choice(WORDS) for _ in range(400))),
        ("paragraph", "https://example.com/" + "x1y2z3" * 80 + " 中文句子。" * 30),
    ]
    page = page_with_blocks(*parts)

    chunks = chunk_pages([page], counter, max_tokens=max_tokens)

    assert_well_formed(chunks, [page], max_tokens)
    assert_covers_all_text(chunks, page)


# Structure


def test_short_paragraphs_are_packed_into_one_chunk(counter):
    page = PageText(1, "First paragraph.\n\nSecond paragraph.\n\n\nThird paragraph.")

    chunks = chunk_pages([page], counter)

    assert [chunk.text for chunk in chunks] == [page.text]


def test_a_paragraph_that_fits_a_chunk_is_not_split_across_two(counter):
    first, second = sentences_of(30, 2, counter), sentences_of(30, 2, counter)
    page = PageText(1, " ".join(first) + "\n\n" + " ".join(second))

    chunks = chunk_pages([page], counter, max_tokens=100, overlap_tokens=0)

    assert [chunk.text for chunk in chunks] == [" ".join(first), " ".join(second)]


def test_a_paragraph_too_long_for_a_chunk_is_split_between_sentences(counter):
    sentences = sentences_of(20, 12, counter)
    page = PageText(1, " ".join(sentences))

    chunks = chunk_pages([page], counter, max_tokens=50, overlap_tokens=0)

    assert [chunk.text for chunk in chunks] == [
        " ".join(sentences[i : i + 2]) for i in range(0, 12, 2)
    ]


def test_a_long_table_is_split_between_rows(counter):
    rows = [f"| {n} | Invoice INV-{n:04d} | 4,500.00 | paid |" for n in range(80)]
    page = page_with_blocks(("table", "\n".join(rows)))

    chunks = chunk_pages([page], counter, max_tokens=100, overlap_tokens=0)

    assert_well_formed(chunks, [page], 100)
    assert "\n".join(chunk.text for chunk in chunks) == page.text
    assert len(chunks) == 17
    assert all(chunk.text.splitlines()[0] in rows for chunk in chunks)


def test_a_heading_starts_a_new_chunk_and_stays_with_its_paragraph(counter):
    page = page_with_blocks(
        ("paragraph", "The parties are named above."),
        ("heading", "2. Delivery"),
        ("paragraph", "The Supplier delivers within 30 days."),
    )

    chunks = chunk_pages([page], counter)

    assert [chunk.text for chunk in chunks] == [
        "The parties are named above.",
        "2. Delivery\n\nThe Supplier delivers within 30 days.",
    ]


def test_a_heading_keeps_the_start_of_a_paragraph_too_long_to_join_it(counter):
    sentences = sentences_of(20, 5, counter)
    page = page_with_blocks(("heading", "Delivery"), ("paragraph", " ".join(sentences)))

    chunks = chunk_pages([page], counter, max_tokens=95, overlap_tokens=0)

    assert [chunk.text for chunk in chunks] == [
        "Delivery\n\n" + " ".join(sentences[:4]),
        sentences[4],
    ]


def test_a_heading_keeps_part_of_a_sentence_too_long_to_join_it(counter):
    rng = random.Random(4)
    body = " ".join(rng.choice(WORDS) for _ in range(300))
    page = page_with_blocks(("heading", "Delivery terms"), ("paragraph", body))

    chunks = chunk_pages([page], counter, max_tokens=100, overlap_tokens=0)

    assert_well_formed(chunks, [page], 100)
    assert chunks[0].text.startswith("Delivery terms\n\n" + body[:20])
    assert chunks[0].token_count == 100


def test_consecutive_headings_stay_together_with_the_text_after_them(counter):
    page = page_with_blocks(
        ("paragraph", "Preamble text."),
        ("heading", "Part II"),
        ("heading", "Article 5"),
        ("paragraph", "Payment is due in 30 days."),
    )

    chunks = chunk_pages([page], counter)

    assert [chunk.text for chunk in chunks] == [
        "Preamble text.",
        "Part II\n\nArticle 5\n\nPayment is due in 30 days.",
    ]


def test_a_heading_at_the_end_of_a_page_is_kept_alone(counter):
    page = page_with_blocks(("paragraph", "Last words of the page."), ("heading", "Schedule A"))

    chunks = chunk_pages([page], counter)

    assert [chunk.text for chunk in chunks] == ["Last words of the page.", "Schedule A"]


def test_no_chunk_ends_with_a_heading_before_more_text_on_its_page(counter):
    rng = random.Random(5)
    parts = []
    for n in range(12):
        parts += [("heading", f"Section {n}"), ("paragraph", paragraph(rng, rng.randint(1, 8)))]
    page = page_with_blocks(*parts)
    headings = {f"Section {n}" for n in range(12)}

    chunks = chunk_pages([page], counter, max_tokens=120)

    assert_well_formed(chunks, [page], 120)
    assert [chunk.text.split("\n\n")[-1] in headings for chunk in chunks] == [False] * len(chunks)
    starts = [chunk.text.split("\n\n")[0] for chunk in chunks]
    assert headings <= set(starts)


def test_text_outside_the_blocks_is_chunked_as_paragraphs(counter):
    text = "Stray preface.\n\nKnown heading\n\nKnown body.\n\nStray footer."
    start = text.index("Known heading")
    page = PageText(1, text, blocks=(Block("heading", start, start + 13),))

    chunks = chunk_pages([page], counter)

    assert [chunk.text for chunk in chunks] == [
        "Stray preface.",
        "Known heading\n\nKnown body.\n\nStray footer.",
    ]


# Sentences


def test_chunks_are_not_cut_after_an_abbreviation(counter):
    sentence_text = (
        "See Section 4.2(b) of the U.S. agreement, e.g. No. 7 signed by Mr. Smith "
        "of Acme Inc. today."
    )
    page = PageText(1, " ".join([sentence_text] * 10))
    size = counter.count(sentence_text)

    chunks = chunk_pages([page], counter, max_tokens=size + 5, overlap_tokens=0)

    assert [chunk.text for chunk in chunks] == [sentence_text] * 10


# Overlap


def test_each_chunk_after_the_first_repeats_the_last_sentences_of_the_previous(counter):
    sentences = sentences_of(10, 20, counter)
    page = PageText(1, " ".join(sentences))

    chunks = chunk_pages([page], counter, max_tokens=60, overlap_tokens=25)

    assert [chunk.text for chunk in chunks] == [
        " ".join(sentences[0:6]),
        " ".join(sentences[4:10]),
        " ".join(sentences[8:14]),
        " ".join(sentences[12:18]),
        " ".join(sentences[16:20]),
    ]


def test_overlap_contains_the_previous_chunks_last_sentence(counter):
    pages = [contract_page(number, seed=3) for number in range(1, 4)]

    chunks = chunk_pages(pages, counter, max_tokens=100, overlap_tokens=40)

    assert_well_formed(chunks, pages, 100)
    pairs = [(a, b) for a, b in zip(chunks, chunks[1:], strict=False) if a.page == b.page]
    repeated = []
    for previous, chunk in pairs:
        start, end = split_sentences(previous.text)[-1]
        if counter.count(previous.text[start:end]) <= 40:
            repeated.append(chunk.char_start <= previous.char_start + start < chunk.char_end)
    assert repeated == [True] * len(pairs)


def test_no_overlap_when_the_last_sentence_is_longer_than_overlap_tokens(counter):
    sentences = sentences_of(40, 6, counter)
    page = PageText(1, " ".join(sentences))

    chunks = chunk_pages([page], counter, max_tokens=80, overlap_tokens=32)

    assert [chunk.text for chunk in chunks] == [
        " ".join(sentences[0:2]),
        " ".join(sentences[2:4]),
        " ".join(sentences[4:6]),
    ]


def test_overlap_shrinks_so_the_chunk_still_respects_max_tokens(counter):
    short, long = sentences_of(10, 3, counter), sentences_of(55, 1, counter)[0]
    page = PageText(1, " ".join(short) + "\n\n" + long)

    chunks = chunk_pages([page], counter, max_tokens=70, overlap_tokens=30)

    assert [chunk.text for chunk in chunks] == [
        " ".join(short),
        short[2] + "\n\n" + long,
    ]
    assert [chunk.token_count for chunk in chunks] == [30, 65]


def test_overlap_never_reaches_into_the_previous_page(counter):
    sentences = sentences_of(10, 6, counter)
    pages = [PageText(1, " ".join(sentences[:3])), PageText(2, " ".join(sentences[3:]))]

    chunks = chunk_pages(pages, counter, max_tokens=60, overlap_tokens=30)

    assert [chunk.text for chunk in chunks] == [page.text for page in pages]


def test_a_chunk_starting_with_a_heading_repeats_nothing(counter):
    page = page_with_blocks(
        ("paragraph", "Closing words of section one."),
        ("heading", "Section Two"),
        ("paragraph", "Opening words of section two."),
    )

    chunks = chunk_pages([page], counter, overlap_tokens=32)

    assert chunks[1].text == "Section Two\n\nOpening words of section two."


def test_zero_overlap_gives_chunks_that_do_not_share_text(counter):
    pages = [contract_page(1, seed=9)]

    chunks = chunk_pages(pages, counter, max_tokens=60, overlap_tokens=0)

    assert all(a.char_end < b.char_start for a, b in zip(chunks, chunks[1:], strict=False))


# Scale (its speed is part of bench/ingest_throughput.py)


def test_a_hundred_pages_of_3000_characters_chunk_into_well_formed_passages(counter):
    rng = random.Random(11)
    pages = []
    for number in range(1, 101):
        text = ""
        while len(text) < 3000:
            text += paragraph(rng, rng.randint(1, 8)) + "\n\n"
        pages.append(PageText(number, text[:3000]))
    chunks = chunk_pages(pages, counter)

    assert_well_formed(chunks, pages, 200)
    assert {chunk.page for chunk in chunks} == set(range(1, 101))
