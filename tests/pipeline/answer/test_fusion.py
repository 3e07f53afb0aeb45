"""Reciprocal rank fusion: ranks, not scores, decide; ties and repeats are handled exactly."""

from __future__ import annotations

import pytest

from docproc.pipeline.answer.fusion import page_fusion, reciprocal_rank_fusion


def test_each_ranking_gives_an_item_one_over_k_plus_rank():
    fused = dict(reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60))

    assert fused == {
        1: pytest.approx(1 / 61 + 1 / 62),
        2: pytest.approx(1 / 62),
        3: pytest.approx(1 / 63 + 1 / 61),
    }


def test_items_both_rankings_agree_on_come_first():
    fused = reciprocal_rank_fusion([[10, 20, 30], [40, 30, 50]])

    assert [item for item, _ in fused] == [30, 10, 40, 20, 50]


def test_weights_scale_each_rankings_contribution():
    fused = reciprocal_rank_fusion([[1], [2]], k=0, weights=[1.0, 3.0])

    assert fused == [(2, 3.0), (1, 1.0)]


def test_an_item_repeated_within_a_ranking_counts_once_at_its_best_rank():
    assert reciprocal_rank_fusion([[5, 5, 6]], k=0) == [(5, 1.0), (6, pytest.approx(1 / 3))]


def test_equal_scores_are_ordered_by_best_rank_then_first_appearance():
    # 1 and 2 each get 1/(k+1) + 1/(k+2); 3 and 4 get 1/(k+3) once each.
    fused = reciprocal_rank_fusion([[2, 1, 3], [1, 2, 4]])

    assert [item for item, _ in fused] == [2, 1, 3, 4]


def test_no_rankings_fuse_to_nothing():
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []


def test_weights_must_match_the_rankings():
    with pytest.raises(ValueError, match="2 weights for 3 rankings"):
        reciprocal_rank_fusion([[1], [2], [3]], weights=[1.0, 1.0])


def test_negative_weight_is_refused():
    with pytest.raises(ValueError, match="negative"):
        reciprocal_rank_fusion([[1]], weights=[-1.0])


def test_negative_k_is_refused():
    with pytest.raises(ValueError, match="k must not be negative"):
        reciprocal_rank_fusion([[1]], k=-1)


def test_page_fusion_lists_each_pages_best_passage_before_any_second_passage():
    ranked = [("a1", 0.9), ("a2", 0.8), ("b1", 0.5), ("c1", 0.4)]
    pages = {"a1": "A", "a2": "A", "b1": "B", "c1": "C"}

    fused = page_fusion(ranked, pages, support=0.0, repeat=0.0)

    assert [item for item, _ in fused] == ["a1", "b1", "c1", "a2"]


def test_a_pages_strong_second_passage_ranks_above_a_weak_page():
    ranked = [("a1", 0.9), ("a2", 0.8), ("b1", 0.5), ("c1", 0.3)]
    pages = {"a1": "A", "a2": "A", "b1": "B", "c1": "C"}

    fused = page_fusion(ranked, pages, support=0.0, repeat=0.5)

    # a2 keeps half its score (0.4): below page B's best, above page C's.
    assert fused == [("a1", 0.9), ("b1", 0.5), ("a2", 0.4), ("c1", 0.3)]


def test_page_fusion_lifts_a_page_matched_by_several_passages():
    ranked = [("a1", 0.6), ("b1", 0.5), ("b2", 0.4), ("b3", 0.4)]
    pages = {"a1": "A", "b1": "B", "b2": "B", "b3": "B"}

    fused = page_fusion(ranked, pages, support=0.3)

    assert fused[:2] == [("b1", pytest.approx(0.5 + 0.3 * 0.8)), ("a1", 0.6)]


def test_page_fusion_keeps_items_without_a_page_as_pages_of_their_own():
    fused = page_fusion([("x", 0.2), ("y", 0.1)], {})

    assert fused == [("x", 0.2), ("y", 0.1)]
