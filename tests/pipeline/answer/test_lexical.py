"""BM25 over chunk texts: identifiers found whole and by their parts, Okapi scores."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from docproc.pipeline.answer.lexical import K1, B, LexicalIndex, stem, tokenize

CLAUSES = [
    "Section 4.2(b) allows the tenant to terminate the lease on ninety days notice.",
    "Section 4.3 obliges the landlord to repair the roof and the gutters.",
    "The account ACC-00931 was credited with 1,250,000 on 3 March.",
    "The patient was started on 5-fluorouracil and leucovorin after surgery.",
    "Rent is payable monthly in advance to the landlord's nominated account.",
    "Schedule 2 lists the fixtures that remain the landlord's property.",
]


@pytest.fixture(scope="module")
def clauses() -> LexicalIndex:
    return LexicalIndex.build([101, 102, 103, 104, 105, 106], CLAUSES)


def top_id(index: LexicalIndex, query: str) -> int:
    return index.search(query, 1)[0][0]


def test_section_reference_is_one_term_and_its_parts():
    assert tokenize("Section 4.2(b)") == ["section", "4.2(b)", "4", "4.2", "2", "b"]


def test_account_code_is_one_term_and_its_parts():
    assert tokenize("ACC-00931") == ["acc-00931", "acc", "00931"]


def test_amount_is_indexed_with_and_without_thousands_separators():
    assert tokenize("paid $1,250,000.") == ["paid", "1,250,000", "1250000"]


def test_drug_name_keeps_its_hyphenated_form_and_parts():
    assert tokenize("5-Fluorouracil") == ["5-fluorouracil", "5", "fluorouracil"]


def test_words_are_lowercased_stemmed_and_stopwords_dropped():
    assert tokenize("The Policies of the Company’s contracts") == ["policy", "company", "contract"]


def test_nested_subsection_gives_each_level_as_a_prefix():
    assert tokenize("4.2(b)(iii)")[:4] == ["4.2(b)(iii)", "4", "4.2", "4.2(b)"]


def test_lone_item_letter_in_brackets_is_the_letter():
    assert tokenize("(b)") == ["b"]


@pytest.mark.parametrize(
    ("word", "stemmed"),
    [("contracts", "contract"), ("policies", "policy"), ("glasses", "glass"), ("notes", "note"),
     ("status", "status"), ("analysis", "analysis"), ("bus", "bus"), ("taxes", "tax")],
)  # fmt: skip
def test_s_stemmer_removes_plurals_only(word, stemmed):
    assert stem(word) == stemmed


def test_exact_subsection_query_finds_its_clause(clauses):
    assert top_id(clauses, "4.2(b)") == 101


def test_section_and_number_query_finds_the_subsection(clauses):
    assert top_id(clauses, "section 4.2") == 101


def test_account_code_query_finds_the_account(clauses):
    assert top_id(clauses, "ACC-00931") == 103


def test_account_number_without_prefix_finds_the_account(clauses):
    assert top_id(clauses, "00931") == 103


def test_amount_written_without_separators_finds_the_amount(clauses):
    assert top_id(clauses, "1250000") == 103


def test_drug_name_query_finds_the_treatment(clauses):
    assert top_id(clauses, "fluorouracil") == 104


def test_query_sharing_no_term_finds_nothing(clauses):
    assert clauses.search("zebra giraffe", 5) == []


def test_stopword_only_query_finds_nothing(clauses):
    assert clauses.search("what is the", 5) == []


def test_search_returns_at_most_k_best_first(clauses):
    hits = clauses.search("landlord", 2)

    assert len(hits) == 2
    assert hits[0][1] >= hits[1][1]


def test_search_can_be_limited_to_some_ids(clauses):
    assert [i for i, _ in clauses.search("landlord section", 10, among=[102, 106])] == [102, 106]


def test_empty_index_finds_nothing():
    assert LexicalIndex.build([], []).search("anything", 5) == []


def test_ids_and_texts_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        LexicalIndex.build([1, 2], ["only one"])


def test_ties_go_to_the_chunk_indexed_first():
    index = LexicalIndex.build([7, 3, 5], ["same words here", "same words here", "other"])

    assert [i for i, _ in index.search("same words", 3)] == [7, 3]


def reference_bm25(texts: list[str], query: str) -> list[float]:
    """Okapi BM25 written out term by term, to check the vectorised index against."""
    docs = [Counter(tokenize(t)) for t in texts]
    lengths = [sum(d.values()) for d in docs]
    average = sum(lengths) / len(docs)
    scores = []
    for doc, length in zip(docs, lengths, strict=True):
        score = 0.0
        for term in dict.fromkeys(tokenize(query)):
            df = sum(1 for d in docs if term in d)
            if not df or term not in doc:
                continue
            idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
            tf = doc[term]
            score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
        scores.append(score)
    return scores


def test_scores_equal_okapi_bm25_computed_term_by_term():
    rng = random.Random(7)
    vocabulary = "lease rent landlord tenant roof section 4.2(b) acc-00931 notice repair".split()
    texts = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(3, 30))) for _ in range(40)]
    index = LexicalIndex.build(list(range(40)), texts)
    query = "landlord repair 4.2(b) notice"

    expected = reference_bm25(texts, query)
    got = dict(index.search(query, 40))

    assert {i for i, s in enumerate(expected) if s > 0} == set(got)
    for i, score in got.items():
        assert score == pytest.approx(expected[i], rel=1e-9)


def test_among_ten_thousand_chunks_the_one_with_the_identifier_ranks_first():
    """At a matter's scale the identifier still decides (speed: bench/lexical_speed.py)."""
    rng = random.Random(1)
    words = [f"w{n}" for n in range(20_000)] + "section 4.2(b) 1,250,000".split()
    texts = [" ".join(rng.choices(words, k=150)) for _ in range(10_000)]
    texts[7_321] += " transfers to acc-00931 were frozen"

    index = LexicalIndex.build(list(range(10_000)), texts)

    assert index.search("w5 w6 section ACC-00931", 5)[0][0] == 7_321
