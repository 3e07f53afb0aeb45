"""Reciprocal rank fusion: one ranking from several, using ranks only.

Dense cosine similarities and BM25 scores live on unrelated scales, so they are not added;
each ranking instead gives an item ``weight / (k + rank)`` (rank counted from 1), as in
Cormack, Clarke and Büttcher (SIGIR 2009). ``k = 60`` damps the difference between the first
few ranks so that agreement between rankings matters more than any single top position.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

T = TypeVar("T", bound=Hashable)

# How much a page's further matching passages add to its best one (page_fusion). None by
# default: on PubMedQA a share of 0.3 favoured long abstracts (more passages, more votes) and
# cost 7 points of recall@1, and on financebench-dev it changed nothing at recall@5 or @10.
PAGE_SUPPORT = 0.0
# What a page's further passages keep of their own score when they are ranked among the other
# pages' best ones (page_fusion): 0 puts them after every page's best, which on TAT-QA (one
# page a report: a table and the paragraphs explaining it) pushed the explaining paragraph
# below every other report. Chosen on bench/retrieval_recall.py and financebench_recall.py:
# 0.5 gained TAT-QA 1.1 points of recall@5 and 3.6 of @10 and cost financebench-dev one
# question at @20; 1.0 cost financebench-dev 3.5 points at @5.
REPEAT_WEIGHT = 0.5


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[T]],
    k: int = 60,
    weights: Sequence[float] | None = None,
) -> list[tuple[T, float]]:
    """Fuse ``rankings`` (each best first) into ``(item, score)`` pairs, best first.

    An item repeated within one ranking counts at its first (best) rank only. Ties are broken
    by the best rank the item reached in any ranking, then by first appearance (rankings in
    order, each best first), so the result is deterministic. Raises ``ValueError`` for a
    negative ``k``, weights of another length than ``rankings``, or a negative weight.
    """
    if k < 0:
        raise ValueError(f"k must not be negative, got {k}")
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    scores: dict[T, float] = {}
    best_rank: dict[T, int] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        seen: set[T] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
            best_rank[item] = min(best_rank.get(item, rank), rank)
    order = {item: position for position, item in enumerate(scores)}
    fused = sorted(scores, key=lambda item: (-scores[item], best_rank[item], order[item]))
    return [(item, scores[item]) for item in fused]


def page_fusion(
    ranked: Sequence[tuple[T, float]],
    page_of: Mapping[T, Hashable],
    *,
    support: float = PAGE_SUPPORT,
    repeat: float = REPEAT_WEIGHT,
) -> list[tuple[T, float]]:
    """Re-rank passages by their page: one page, one vote, with its best passage first.

    A page's score is its best passage's score plus ``support`` times the sum of the scores of
    its other passages: a page matched by several passages (a table, a clause and its
    exceptions) rises above one with a single lucky match. The result lists each page's best
    passage in page order; a page's further passages join them at ``repeat`` times their own
    score (with ``repeat`` 0, after every page's best), so the top of the list covers many
    distinct pages, a strong second passage is not buried, and nothing is dropped. Items
    missing from ``page_of`` count as pages of their own. Deterministic: ties keep the input
    order.
    """
    best: dict[Hashable, tuple[T, float]] = {}
    totals: dict[Hashable, float] = {}
    first: dict[Hashable, int] = {}
    for position, (item, score) in enumerate(ranked):
        page = page_of.get(item, ("item", item))
        if page not in best:
            best[page] = (item, score)
            totals[page] = score
            first[page] = position
        else:
            totals[page] += support * score
    pages = sorted(best, key=lambda p: (-totals[p], first[p]))
    leaders = [(best[p][0], totals[p]) for p in pages]
    chosen = {item for item, _ in leaders}
    rest = [(item, score) for item, score in ranked if item not in chosen]
    if not repeat:
        return leaders + rest
    # A page's further passage joins the other pages' best ones at ``repeat`` times its score
    # (stable: a leader goes first on a tie).
    merged = [(item, score, 0, i) for i, (item, score) in enumerate(leaders)]
    merged += [(item, repeat * score, 1, i) for i, (item, score) in enumerate(rest)]
    merged.sort(key=lambda m: (-m[1], m[2], m[3]))
    return [(item, score) for item, score, _, _ in merged]
