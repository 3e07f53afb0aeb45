"""Preparing the context of a prompt: the one step by which document text reaches the model,
shared by answers, summaries and extraction (``prepare_context``). Every count is in the served
model's own tokens (its /tokenize), never a guess."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings

from docproc.models import Page
from docproc.pipeline.answer.compress import CompressedContext, compress
from docproc.pipeline.answer.prompts import render_evidence
from docproc.pipeline.llm.client import (
    ChatMessage,
    ContextOverflowError,
    LLMClient,
    client_from_settings,
)
from docproc.pipeline.types import Passage

logger = logging.getLogger(__name__)

# Token counts of separately counted pieces need not add up exactly to the count of their
# concatenation; this margin absorbs that, and the final prompt is counted exactly anyway.
SAFETY_MARGIN_TOKENS = 32

# Makes a prompt's messages from the evidence it is to show (prompts.*_messages).
PromptBuilder = Callable[[Sequence[Passage]], list[ChatMessage]]


class CachedTokenCounter:
    """``client.count_tokens`` with a per-request memo (the same sentence is counted once)."""

    def __init__(self, client: LLMClient) -> None:
        self._client = client
        self._memo: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        if text not in self._memo:
            self._memo[text] = self._client.count_tokens(text)
        return self._memo[text]


def default_client() -> LLMClient:
    return client_from_settings()


def evidence_budget(client: LLMClient, empty_prompt: Sequence[ChatMessage], reserve: int) -> int:
    """Tokens left for document text once the prompt itself and the answer are paid for."""
    spent = client.count_chat_tokens(empty_prompt)
    budget = client.context_length() - spent - reserve - SAFETY_MARGIN_TOKENS
    if budget <= 0:
        raise ContextOverflowError(
            f"The request alone needs {spent} tokens plus {reserve} for the answer; the model's "
            f"context is {client.context_length()} tokens."
        )
    return budget


def compress_to_budget(
    client: LLMClient,
    query: str,
    passages: Sequence[Passage],
    budget: int,
    counter: Callable[[str], int] | None = None,
) -> CompressedContext:
    return compress(
        query,
        passages,
        budget,
        counter or CachedTokenCounter(client),
        render=render_evidence,
    )


def fit_prompt(
    client: LLMClient,
    build: PromptBuilder,
    evidence: Sequence[Passage],
    reserve: int,
) -> tuple[list[ChatMessage], tuple[Passage, ...]]:
    """The prompt for as much of ``evidence`` as fits exactly; drops evidence from the end (the
    compressor already kept what matters most) until the counted prompt leaves ``reserve``."""
    kept = tuple(evidence)
    limit = client.context_length()
    while True:
        messages = build(kept)
        if client.count_chat_tokens(messages) + reserve <= limit:
            return messages, kept
        if len(kept) <= 1:
            # Never send a prompt whose evidence was silently dropped altogether.
            raise ContextOverflowError(
                "The document text does not fit in the model's context with this prompt."
            )
        logger.info("prompt over the context by a little; dropping evidence %s", kept[-1].id)
        kept = kept[:-1]


@dataclass(frozen=True, slots=True)
class PreparedContext:
    """A prompt ready for the model: its ``messages``, the ``evidence`` they show (numbered
    from 1, what the model's ``[n]`` name), and the ``passages`` it was prepared from (as
    retrieved, best first). ``compressed`` is the compression's account when there was one."""

    messages: list[ChatMessage]
    evidence: tuple[Passage, ...]
    passages: tuple[Passage, ...]
    compressed: CompressedContext | None = None

    @property
    def accounting(self) -> Accounting:
        """What the compressed context cost and left out (a context prepared for a query)."""
        if self.compressed is None:
            raise ValueError("A context of passages used whole was not compressed.")
        return Accounting.of(self.compressed, self.evidence)


def prepare_context(
    client: LLMClient,
    build: PromptBuilder,
    passages: Sequence[Passage],
    reserve: int,
    *,
    query: str | None = None,
    counter: Callable[[str], int] | None = None,
) -> PreparedContext:
    """The prompt ``build`` makes for as much of ``passages`` as ``client``'s context holds
    with ``reserve`` tokens left for the answer.

    With a ``query`` the passages (retrieved, best first) are compressed to the tokens that
    ``build([])`` leaves: the sentences that best answer it are kept (``compress``). Without
    one they are used whole and in order (a summary's window, already cut to fit). Either way
    the prompt is then counted exactly and trimmed from the end until it fits (``fit_prompt``).
    """
    passages = tuple(passages)
    compressed = None
    if query is not None:
        budget = evidence_budget(client, build([]), reserve)
        compressed = compress_to_budget(client, query, passages, budget, counter)
        evidence: Sequence[Passage] = compressed.evidence
    else:
        evidence = [replace(p, id=number) for number, p in enumerate(passages, start=1)]
    messages, kept = fit_prompt(client, build, evidence, reserve)
    return PreparedContext(messages, kept, passages, compressed)


def page_texts(evidence: Iterable[Passage]) -> dict[tuple[int, int], str]:
    """The full text of every page the evidence comes from: the ground truth citations are
    checked against."""
    wanted = {(e.document, e.page) for e in evidence}
    if not wanted:
        return {}
    rows = Page.objects.filter(
        document_id__in={d for d, _ in wanted}, number__in={p for _, p in wanted}
    ).values_list("document_id", "number", "text")
    return {(d, n): text for d, n, text in rows if (d, n) in wanted}


@dataclass(frozen=True, slots=True)
class Accounting:
    tokens_used: int
    token_budget: int
    compression_ratio: float
    pages_used: list[dict[str, Any]]
    pages_left_out: list[dict[str, Any]]

    @classmethod
    def of(cls, context: CompressedContext, kept: Sequence[Passage]) -> Accounting:
        names = {e.document: e.filename for e in context.evidence}
        used = sorted({(e.document, e.page) for e in kept})
        dropped = sorted(set(context.pages_used) - set(used)) + list(context.pages_left_out)
        return cls(
            tokens_used=context.tokens_used,
            token_budget=context.token_budget,
            compression_ratio=round(context.compression_ratio, 2),
            pages_used=[_page_ref(d, p, names) for d, p in used],
            pages_left_out=[_page_ref(d, p, names) for d, p in sorted(set(dropped))],
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "tokens_used": self.tokens_used,
            "token_budget": self.token_budget,
            "compression_ratio": self.compression_ratio,
            "pages_used": self.pages_used,
            "pages_left_out": self.pages_left_out,
        }


def _page_ref(document: int, page: int, names: dict[int, str]) -> dict[str, Any]:
    ref: dict[str, Any] = {"document": document, "page": page}
    if document in names:
        ref["filename"] = names[document]
    return ref


def answer_reserve() -> int:
    return settings.LLM_ANSWER_TOKENS
