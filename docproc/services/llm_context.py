"""Fitting retrieved text into the served model's context, shared by answers, summaries and
extraction. Every count is in the served model's own tokens (its /tokenize), never a guess."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings

from docproc.models import Page
from docproc.pipeline.answer.compress import CompressedContext, Evidence, Passage, compress
from docproc.pipeline.answer.prompts import render_evidence
from docproc.pipeline.llm.client import (
    ChatMessage,
    ContextOverflowError,
    LLMClient,
    client_from_settings,
)

logger = logging.getLogger(__name__)

# Token counts of separately counted pieces need not add up exactly to the count of their
# concatenation; this margin absorbs that, and the final prompt is counted exactly anyway.
SAFETY_MARGIN_TOKENS = 32


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
    build: Callable[[Sequence[Evidence]], list[ChatMessage]],
    evidence: Sequence[Evidence],
    reserve: int,
) -> tuple[list[ChatMessage], tuple[Evidence, ...]]:
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


def page_texts(evidence: Iterable[Evidence]) -> dict[tuple[int, int], str]:
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
    pages_used: list[dict]
    pages_left_out: list[dict]

    @classmethod
    def of(cls, context: CompressedContext, kept: Sequence[Evidence]) -> Accounting:
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

    def as_dict(self) -> dict:
        return {
            "tokens_used": self.tokens_used,
            "token_budget": self.token_budget,
            "compression_ratio": self.compression_ratio,
            "pages_used": self.pages_used,
            "pages_left_out": self.pages_left_out,
        }


def _page_ref(document: int, page: int, names: dict[int, str]) -> dict:
    ref = {"document": document, "page": page}
    if document in names:
        ref["filename"] = names[document]
    return ref


def answer_reserve() -> int:
    return settings.LLM_ANSWER_TOKENS
