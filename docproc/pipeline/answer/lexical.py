"""Lexical (BM25) search over chunk texts, for what dense search misses: identifiers.

Dense embeddings blur "Section 4.2(b)", "ACC-00931" or "1,250,000" into their neighbours; an
exact term match does not. The tokenizer therefore keeps such identifiers whole *and* emits
their parts and leading prefixes, so "Section 4.2(b)" is found by "4.2(b)", by "section 4.2"
and by "4.2", and "ACC-00931" by "acc-00931" or "00931". Numbers with thousands separators are
also indexed without them ("1,250,000" = "1250000"). Words are lowercased, NFKC-normalised
(``text.normalize_for_search``), stripped of a possessive "'s" and of a plural "s" (Harman's
S-stemmer), and common English function words (``text.STOPWORDS``) are dropped. Everything is
local and deterministic: no NLTK, no downloads.

Scoring is Okapi BM25 (k1 = 1.2, b = 0.75, Lucene's non-negative IDF). Term weights are
computed once at build time into a sparse term-by-chunk matrix, so a query is a few row
slices and one partial sort.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from itertools import chain

import numpy as np
from scipy import sparse

from docproc.pipeline.text import STOPWORDS, normalize_for_search

K1 = 1.2
B = 0.75

# A raw token: a run of word characters, possibly joined by in-word punctuation ("4.2(b)",
# "ACC-00931", "1,250,000", "co-amoxiclav", "u.s"), with an optional closing bracket.
_RAW_TOKEN = re.compile(r"\(?\w+(?:[-./,:'&+()]+\w+)*\)?")
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+")
# Where a prefix of a compound identifier may end: before punctuation that follows a word
# character or a closing bracket ("4.2(b)(iii)" → "4", "4.2", "4.2(b)").
_PREFIX_END = re.compile(r"(?<=[\w)])(?=[-./,:'&+(])")


def stem(word: str) -> str:
    """Harman's S-stemmer: the plural "s" off ("contracts" → "contract", "policies" →
    "policy", "taxes" → "tax"), leaving "-ss", "-us", "-is" and words of three letters or
    fewer alone."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]  # an extension of Harman's rules: "glasses" → "glass", not "glasse"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss", "is")):
        return word[:-1]
    return word


def _balanced(token: str) -> str:
    """``token`` without a leading "(" or trailing ")" that has no partner inside it."""
    if token.startswith("(") and token.count("(") > token.count(")"):
        token = token[1:]
    if token.endswith(")") and token.count(")") > token.count("("):
        token = token[:-1]
    if token.startswith("(") and token.endswith(")") and token.count("(") == 1:
        token = token[1:-1]  # "(b)" alone is the item "b"
    return token


def _word(part: str) -> str | None:
    part = stem(part.removesuffix("'s"))
    return None if part in STOPWORDS else part


def token_terms(raw: str) -> tuple[str, ...]:
    """The index terms of one raw token (already lowercased and folded), in a stable order.

    A plain word gives itself (stemmed) unless it is a stopword. A compound gives itself, its
    leading prefixes that end in a word character or bracket, and its word parts; a number
    with separators gives itself and its digits without the thousands commas.
    """
    token = _balanced(raw).removesuffix("'s")
    if not token:
        return ()
    if _NUMBER.fullmatch(token):
        plain = token.replace(",", "")
        return (token,) if plain == token else (token, plain)
    parts = _WORD.findall(token)
    if len(parts) == 1 and parts[0] == token:
        word = _word(token)
        return () if word is None else (word,)
    terms = [token]
    for match in _PREFIX_END.finditer(token):
        prefix = token[: match.start()]
        if any(c.isalnum() for c in prefix):
            terms.append(prefix)
    terms += [w for w in map(_word, parts) if w is not None]
    return tuple(dict.fromkeys(terms))


def word_terms(word: str) -> tuple[str, ...]:
    """The index terms of one whitespace-delimited, normalised word ("(4.2(b)," say)."""
    return tuple(chain.from_iterable(map(token_terms, _RAW_TOKEN.findall(word))))


class Tokenizer:
    """Text to index terms, memoising each distinct raw token (vocabularies are small; the
    memo is dropped when it grows past ``limit`` so a long-lived process stays bounded)."""

    def __init__(self, limit: int = 200_000) -> None:
        self._cache: dict[str, tuple[str, ...]] = {}
        self._limit = limit

    def terms_of(self, word: str) -> tuple[str, ...]:
        terms = self._cache.get(word)
        if terms is None:
            if len(self._cache) >= self._limit:
                self._cache.clear()
            terms = self._cache[word] = word_terms(word)
        return terms

    def terms(self, text: str) -> list[str]:
        """Every term occurrence of ``text``, in text order."""
        return list(chain.from_iterable(map(self.terms_of, normalize_for_search(text).split())))


_default_tokenizer = Tokenizer()


def tokenize(text: str) -> list[str]:
    """Every index term of ``text`` in order (see the module docstring for the rules)."""
    return _default_tokenizer.terms(text)


class LexicalIndex:
    """An immutable BM25 index over chunk texts keyed by chunk id."""

    def __init__(
        self, ids: np.ndarray, vocabulary: dict[str, int], weights: sparse.csr_matrix
    ) -> None:
        self._ids = ids
        self._vocabulary = vocabulary
        self._weights = weights  # terms × chunks, BM25 weight of each (term, chunk)
        self._tokenizer = Tokenizer()

    @property
    def count(self) -> int:
        return len(self._ids)

    @classmethod
    def build(
        cls, ids: Sequence[int], texts: Sequence[str], *, k1: float = K1, b: float = B
    ) -> LexicalIndex:
        """Index ``texts`` under ``ids`` (same length; ids are returned by ``search``), with
        BM25's term-frequency saturation ``k1`` and length normalisation ``b``."""
        if len(ids) != len(texts):
            raise ValueError("ids and texts differ in length")
        # Each distinct word is analysed once; occurrences are expanded to terms in numpy.
        word_index: dict[str, int] = {}
        occurrences: list[int] = []
        words_per_text = np.zeros(len(texts), dtype=np.int64)
        for position, text in enumerate(texts):
            words = normalize_for_search(text).split()
            for word in dict.fromkeys(words):  # first-seen order keeps ids deterministic
                if word not in word_index:
                    word_index[word] = len(word_index)
            occurrences.extend(map(word_index.__getitem__, words))
            words_per_text[position] = len(words)
        vocabulary: dict[str, int] = {}
        terms_of_word = [
            [vocabulary.setdefault(t, len(vocabulary)) for t in word_terms(word)]
            for word in word_index  # insertion order = word id order
        ]
        terms_per_word = np.array([len(t) for t in terms_of_word], dtype=np.int64)
        word_term_start = np.concatenate(([0], np.cumsum(terms_per_word)[:-1])).astype(np.int64)
        flat_terms = np.fromiter(chain.from_iterable(terms_of_word), dtype=np.int64)
        occurrence_words = np.asarray(occurrences, dtype=np.int64)
        per_occurrence = terms_per_word[occurrence_words]
        total = int(per_occurrence.sum())
        # Position of each term occurrence within its word's term list.
        offset = np.arange(total) - np.repeat(
            np.cumsum(per_occurrence) - per_occurrence, per_occurrence
        )
        rows = flat_terms[np.repeat(word_term_start[occurrence_words], per_occurrence) + offset]
        text_of_word = np.repeat(np.arange(len(texts), dtype=np.int64), words_per_text)
        chunk_of = np.repeat(text_of_word, per_occurrence)
        lengths = np.bincount(chunk_of, minlength=len(texts)).astype(np.float64)
        counts = sparse.coo_matrix(
            (np.ones(total, dtype=np.float64), (rows, chunk_of)),
            shape=(len(vocabulary), len(texts)),
        ).tocsr()  # duplicates summed: term frequencies
        counts.sum_duplicates()
        weights = _bm25_weights(counts, lengths, k1, b)
        return cls(np.asarray(ids, dtype=np.int64), vocabulary, weights)

    def search(
        self, query: str, k: int, *, among: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` best-matching chunks as ``(id, score)``, best first; only chunks sharing
        at least one term with the query (and, if ``among`` is given, only those ids).
        Ties go to the chunk indexed first."""
        if k <= 0 or self.count == 0:
            return []
        # Distinct query terms in query order, so the float sums are the same on every run.
        rows = [
            self._vocabulary[t]
            for t in dict.fromkeys(self._tokenizer.terms(query))
            if t in self._vocabulary
        ]
        if not rows:
            return []
        weights = self._weights
        scores = np.zeros(self.count, dtype=np.float64)
        for row in rows:
            start, end = weights.indptr[row], weights.indptr[row + 1]
            scores[weights.indices[start:end]] += weights.data[start:end]
        if among is not None:
            scores[~np.isin(self._ids, np.fromiter(among, dtype=np.int64))] = 0.0
        matched = np.flatnonzero(scores)
        if len(matched) > k:
            # Keep every chunk tied with the k-th score so the tie-break below is stable.
            kth = np.partition(scores[matched], len(matched) - k)[len(matched) - k]
            matched = matched[scores[matched] >= kth]
        order = np.lexsort((matched, -scores[matched]))[:k]
        best = matched[order]
        return [(int(self._ids[i]), float(scores[i])) for i in best]


def _bm25_weights(
    counts: sparse.csr_matrix, lengths: np.ndarray, k1: float, b: float
) -> sparse.csr_matrix:
    """Okapi BM25 weight of each (term, chunk) from term frequencies (terms × chunks)."""
    chunks = counts.shape[1]
    if chunks == 0 or counts.nnz == 0:
        return counts.astype(np.float64)
    average = float(lengths.mean()) or 1.0
    document_frequency = np.diff(counts.indptr).astype(np.float64)
    idf = np.log1p((chunks - document_frequency + 0.5) / (document_frequency + 0.5))
    tf = counts.data
    norm = k1 * (1.0 - b + b * lengths[counts.indices] / average)
    term_of_entry = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    data = idf[term_of_entry] * tf * (k1 + 1.0) / (tf + norm)
    return sparse.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)
