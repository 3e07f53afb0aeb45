"""Question answering over a matter: retrieve (hybrid) → compress to the token budget →
generate → attribute and verify every citation → answer.

When retrieval finds nothing relevant the answer says the documents do not contain it, without
asking the model to guess. Unverified citations are marked and the answer says so.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

from docproc.models import Document, Matter
from docproc.pipeline.answer import relevance
from docproc.pipeline.answer.attribution import AttributedText, Citation, attribute
from docproc.pipeline.answer.citations import content_words
from docproc.pipeline.answer.compress import compress
from docproc.pipeline.answer.prompts import (
    NOT_FOUND,
    question_messages,
    question_overhead,
    render_evidence,
)
from docproc.pipeline.embed import embed_texts
from docproc.pipeline.llm.client import (
    Completion,
    LLMClient,
    LLMError,
    LLMUnavailableError,
    Usage,
)
from docproc.pipeline.types import Passage
from docproc.services import llm_context, retrieval, routing
from docproc.services.llm_context import PreparedContext

logger = logging.getLogger(__name__)

RETRIEVE_K = 20
# A question is judged answerable only if the best dense match is at least this similar, or a
# retrieved passage contains at least half of the question's content words.
MIN_DENSE_SCORE = 0.30
MIN_LEXICAL_SHARE = 0.5
NOT_IN_DOCUMENTS = "The documents in this matter do not contain an answer to this question."
UNVERIFIED_NOTE = "Some citations could not be verified against the documents: {markers}."
UNCITED_NOTE = "This answer cites no passage of the documents; treat it as unverified."
EXTRACTIVE_NOTE = (
    "The model's answer could not be verified against the documents, so the answer quotes "
    "the passages that best match the question instead."
)
MODEL_UNAVAILABLE_NOTE = (
    "The language model is unavailable ({reason}), so no model wrote this answer: it quotes "
    "the passages that best match the question."
)
MODEL_UNAVAILABLE_NO_QUOTE = (
    "The language model is unavailable ({reason}), and no sentence of the passages found "
    "could be quoted and verified as an answer; ask again when the model is back."
)
# Without a model there is no tokenizer to count with: the passages quoted from are merged and
# de-duplicated by the compressor under this budget of words instead.
FALLBACK_BUDGET_WORDS = 4000
QUOTED_NOTE = "No model wrote this answer: it quotes the passages that best answer the question."
EXTRACTIVE_SENTENCES = 2
# The sentence next to the best is quoted too if it scores at least this share of the best.
SECOND_SHARE = 0.9


class QuestionError(ValueError):
    """A question that cannot be asked as posed."""


# A streaming event: {"type": "delta" | "routing" | "answer", ...}.
Event = dict[str, Any]
# Page texts by (document, page): what citations are checked against.
PageTexts = dict[tuple[int, int], str]


class _Common(TypedDict, total=False):
    """What every answer to one question from one context shares, whatever its method."""

    question: str
    context: dict[str, Any]
    model: str
    usage: Usage
    chunks_used: list[int]


@dataclass
class Answer:
    question: str
    answer: str
    found: bool
    citations: list[dict[str, Any]] = field(
        default_factory=list
    )  # each names its statement's index
    statements: list[str] = field(default_factory=list)  # the answer's statements, in order
    context: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    model: str = ""
    usage: Usage = field(default_factory=Usage)  # what every model call for it spent
    chunks_used: list[int] = field(default_factory=list)
    method: str = "generated"  # generated | extractive | none
    model_answer: str | None = None
    routing: dict[str, Any] = field(default_factory=dict)  # which model produced it and why

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "statements": self.statements,
            "citations": self.citations,
            "context": self.context,
            "warnings": self.warnings,
            "model": self.model,
            "usage": self.usage.as_dict(),
            "method": self.method,
            "model_answer": self.model_answer,
            "routing": self.routing,
        }


def _validate(question: str) -> str:
    question = (question or "").strip()
    if not question:
        raise QuestionError("The question is empty.")
    if len(question) > 2000:
        raise QuestionError("The question is longer than 2,000 characters.")
    return question


def _relevant(
    matter: Matter,
    question: str,
    hits: Sequence[Passage],
    document_ids: Sequence[int] | None = None,
) -> bool:
    """Whether the retrieved passages bear on the question: enough of its content words, or a
    passage of the same documents (the question's narrowing) close enough in meaning."""
    if not hits:
        return False
    words = content_words(question)
    if words:
        best_share = max(len(words & content_words(h.text)) / len(words) for h in hits)
        if best_share >= MIN_LEXICAL_SHARE:
            return True
    dense = retrieval.dense_search(matter, question, 1, document_ids=document_ids)
    return bool(dense) and dense[0].score >= MIN_DENSE_SCORE


def _not_found(question: str, client: LLMClient, hits: Sequence[Passage]) -> Answer:
    pages = sorted({(h.document, h.page, h.filename) for h in hits})
    return Answer(
        question=question,
        answer=NOT_IN_DOCUMENTS,
        found=False,
        method="none",
        context={
            "tokens_used": 0,
            "token_budget": 0,
            "compression_ratio": 0.0,
            "pages_used": [],
            "pages_left_out": [{"document": d, "page": p, "filename": f} for d, p, f in pages],
        },
        model=client.model,
    )


def _fit(
    question: str,
    client: LLMClient,
    hits: Sequence[Passage],
    counter: Callable[[str], int] | None = None,
) -> PreparedContext:
    """The prompt for ``client``: the retrieved passages compressed to its evidence budget."""
    return llm_context.prepare_context(
        client,
        lambda evidence: question_messages(question, evidence),
        hits,
        llm_context.answer_reserve(),
        query=question,
        counter=counter,
    )


def _finish(
    question: str, completion: Completion, prepared: PreparedContext, client: LLMClient
) -> Answer:
    text = completion.text.strip()
    base = _Common(
        question=question,
        context=prepared.accounting.as_dict(),
        model=completion.model or client.model,
        usage=completion.usage,
        chunks_used=sorted({e.chunk for e in prepared.evidence}),
    )
    if not text or text.upper().startswith(NOT_FOUND):
        return Answer(answer=NOT_IN_DOCUMENTS, found=False, method="none", **base)
    pages = llm_context.page_texts(prepared.evidence)
    attributed: AttributedText = attribute(text, prepared.evidence, pages)
    if not any(c.verified for c in attributed.citations):
        extractive = _extractive(question, prepared.evidence, pages, prepared.passages)
        if extractive is not None:
            return _quoted(extractive, [EXTRACTIVE_NOTE], base, model_answer=attributed.text)
    warnings: list[str] = []
    unverified = [c for c in attributed.citations if not c.verified]
    if unverified:
        warnings.append(
            UNVERIFIED_NOTE.format(
                markers=", ".join(f"[{m}]" for m in dict.fromkeys(c.marker for c in unverified))
            )
        )
    if not attributed.citations:
        warnings.append(UNCITED_NOTE)
    if completion.finish_reason == "length":
        warnings.append("The answer was cut off at the answer token limit.")
    return _cited(attributed, warnings, base, method="generated")


def _quoted(
    extractive: AttributedText,
    warnings: list[str],
    base: _Common,
    model_answer: str | None = None,
) -> Answer:
    return _cited(extractive, warnings, base, method="extractive", model_answer=model_answer)


def _cited(
    attributed: AttributedText,
    warnings: list[str],
    base: _Common,
    *,
    method: str,
    model_answer: str | None = None,
) -> Answer:
    """A found answer: its statements and their checked citations."""
    return Answer(
        answer=attributed.text,
        found=True,
        citations=[c.as_dict() for c in attributed.citations],
        statements=list(attributed.statements),
        warnings=warnings,
        method=method,
        model_answer=model_answer,
        **base,
    )


def _extractive_only(question: str, prepared: PreparedContext, client: LLMClient) -> Answer:
    """The answer from the evidence alone: its best sentences quoted, or "not in the
    documents" when none bears on the question."""
    base = _Common(
        question=question,
        context=prepared.accounting.as_dict(),
        model=client.model,
        chunks_used=sorted({e.chunk for e in prepared.evidence}),
    )
    pages = llm_context.page_texts(prepared.evidence)
    extractive = _extractive(question, prepared.evidence, pages, prepared.passages)
    if extractive is None:
        return Answer(answer=NOT_IN_DOCUMENTS, found=False, method="none", **base)
    return _quoted(extractive, [QUOTED_NOTE], base)


def _candidates(
    evidence: Sequence[Passage], passages: Sequence[Passage], pages: PageTexts
) -> list[tuple[Passage, str, float, str]]:
    """Every whole sentence or table row of the evidence as (evidence, text, prior, context):
    the prior is ``1 / sqrt(1 + rank)`` of the best-ranked retrieved passage holding it (1
    for all when the retrieval order is not known; retrieval ranks passages, not sentences, so
    it decays slowly); its context is what it is about (``relevance.context``)."""
    found = []
    for item in evidence:
        page = pages.get((item.document, item.page), "")
        for a, b in relevance.quotable_spans(item.text):
            start, end = item.char_start + a, item.char_start + b
            ranks = [
                r
                for r, p in enumerate(passages)
                if (p.document, p.page) == (item.document, item.page)
                and p.char_start < end
                and start < p.char_end
            ]
            prior = 1.0 / math.sqrt(1 + min(ranks)) if ranks else (0.0 if passages else 1.0)
            context = relevance.context(page, start, end) if page else ""
            found.append((item, item.text[a:b], prior, context))
    return found


def _extractive(
    question: str,
    evidence: Sequence[Passage],
    pages: PageTexts,
    passages: Sequence[Passage] = (),
) -> AttributedText | None:
    """Quote the evidence sentence (or table row) that best answers the question, ranked by
    meaning, the question's terms, the retrieval order (``passages``, best first) and the
    question's type (``relevance.rank``), cited and verified like any statement; the sentence
    next to it too if it answers nearly as well. None if no sentence bears on the question."""
    candidates = _candidates(evidence, passages, pages)
    if not candidates:
        return None
    # A question names its document's subject ("Costco's total assets"), which the balance
    # sheet's rows never repeat: the document's context is part of every sentence's scope.
    about = dict(
        Document.objects.filter(pk__in={e.document for e in evidence}).values_list("pk", "context")
    )
    ranked = relevance.rank(
        question,
        [c[1] for c in candidates],
        [c[2] for c in candidates],
        embed_texts,
        [c[3] for c in candidates],
        [f"{about.get(c[0].document, '')}\n{c[0].text}" for c in candidates],
    )
    best = ranked[0]
    if not best.answers:
        return None
    # A second sentence only when it continues the best one (the next or previous sentence of
    # the same evidence) and answers nearly as well: a runner-up from elsewhere is another
    # clause that merely shares the subject (the entire-agreement clause for "the parties").
    chosen = [best] + [
        r
        for r in ranked[1:]
        if r.answers
        and r.score >= SECOND_SHARE * best.score
        and abs(r.index - best.index) == 1
        and candidates[r.index][0] is candidates[best.index][0]
    ][: EXTRACTIVE_SENTENCES - 1]
    chosen.sort(key=lambda r: r.index)  # in document order
    # Each quote is attributed on its own: two table rows, which end in no full stop, would
    # otherwise read as one statement.
    parts = [
        attribute(
            f"“{candidates[r.index][1]}” [{candidates[r.index][0].id}]",
            [candidates[r.index][0]],
            pages,
        )
        for r in chosen
    ]
    parts = [p for p in parts if any(c.verified for c in p.citations)]
    if not parts:
        return None
    citations: list[Citation] = []
    statements: list[str] = []
    for part in parts:
        citations += [replace(c, statement=c.statement + len(statements)) for c in part.citations]
        statements += part.statements
    return AttributedText(
        " ".join(p.text for p in parts),
        tuple(citations),
        tuple(u for p in parts for u in p.uncited_statements),
        tuple(statements),
    )


def _words(text: str) -> int:
    return len(text.split())


def _without_model(question: str, hits: Sequence[Passage], why: str) -> Answer:
    """The answer when no model answers: the best-matching sentences of the retrieved
    passages (merged and de-duplicated as for a prompt), quoted and verified; ``why`` says in
    words why no model answered."""
    compressed = compress(question, hits, FALLBACK_BUDGET_WORDS, _words, render=render_evidence)
    evidence = compressed.evidence
    pages = llm_context.page_texts(evidence)
    quoted = _extractive(question, evidence, pages, hits) if evidence else None
    # No model, no tokens: the accounting lists the pages, not a budget.
    context = {
        **llm_context.Accounting.of(compressed, evidence).as_dict(),
        "tokens_used": 0,
        "token_budget": 0,
        "compression_ratio": 0.0,
    }
    base = _Common(
        question=question, context=context, chunks_used=sorted({e.chunk for e in evidence})
    )
    if quoted is None:
        text = MODEL_UNAVAILABLE_NO_QUOTE.format(reason=why)
        return Answer(answer=text, found=False, method="none", warnings=[text], **base)
    return Answer(
        answer=quoted.text,
        found=True,
        citations=[c.as_dict() for c in quoted.citations],
        statements=list(quoted.statements),
        warnings=[MODEL_UNAVAILABLE_NOTE.format(reason=why)],
        method="extractive",
        **base,
    )


def _outcome(answer: Answer) -> str:
    """How an attempt went: verified, not verified (what escalation retries) or not found."""
    if answer.method == "none":
        return routing.NOT_FOUND
    if answer.method == "generated" and any(c["verified"] for c in answer.citations):
        return routing.VERIFIED
    return routing.NOT_VERIFIED


def _holds_more(
    question: str,
    trace: routing.Trace,
    hits: Sequence[Passage],
    small: PreparedContext,
    counter: Callable[[str], int],
) -> bool:
    """Whether the large model's evidence budget would keep pages of the retrieved passages
    that the small model's budget leaves out. Estimated in the small model's tokens; the large
    model's prompt is then fitted exactly in its own."""
    large = trace.available.large
    assert large is not None and small.compressed is not None
    budget = llm_context.evidence_budget(
        large, question_overhead(question), llm_context.answer_reserve()
    )
    if budget <= small.compressed.token_budget:
        return False
    wider = llm_context.compress_to_budget(trace.available.small, question, hits, budget, counter)
    used = {(ref["document"], ref["page"]) for ref in small.accounting.pages_used}
    return bool(set(wider.pages_used) - used)


def _generate(
    question: str, client: LLMClient, prepared: PreparedContext, stream: bool
) -> Generator[Event, None, Answer]:
    """One model's answer, checked; while streaming, its text deltas as events first."""
    reserve = llm_context.answer_reserve()
    completion: Completion | None = None
    if not stream:
        completion = client.chat(prepared.messages, max_tokens=reserve)
    else:
        for item in client.stream_chat(prepared.messages, max_tokens=reserve):
            if isinstance(item, Completion):
                completion = item
            else:
                yield {"type": "delta", "text": item}
    assert completion is not None  # a stream ends with its Completion, or raises
    return _finish(question, completion, prepared, client)


def _attempt(
    question: str,
    hits: Sequence[Passage],
    endpoint: str,
    prepared: dict[str, PreparedContext],
    trace: routing.Trace,
    stream: bool,
) -> Generator[Event, None, Answer]:
    client = trace.available.client(endpoint)
    if endpoint not in prepared:
        prepared[endpoint] = _fit(question, client, hits)
    answer = yield from _generate(question, client, prepared[endpoint], stream)
    trace.tried(endpoint, _outcome(answer))
    return answer


def _switch_event(trace: routing.Trace) -> Event:
    """Streaming: another model takes over; what was streamed so far is set aside."""
    return {
        "type": "routing",
        "endpoint": trace.endpoint,
        "model": trace.model_of(trace.endpoint) if trace.endpoint else None,
        "reason": trace.reason,
        "text": trace.explanation(),
    }


def _answer(
    matter: Matter,
    question: str,
    document_ids: Sequence[int] | None,
    client: LLMClient | None,
    stream: bool,
) -> Generator[Event, None, Answer]:
    """Retrieve, route, generate (escalating once), fall back: the answer, with its routing.
    Yields streaming events (text deltas, a switch of model) when ``stream``."""
    trace = routing.Trace(routing.models(client))
    available = trace.available
    hits = retrieval.hybrid_search(matter, question, RETRIEVE_K, document_ids=document_ids)
    if not _relevant(matter, question, hits, document_ids):
        not_found = _not_found(question, available.small, hits)
        trace.no_model_needed()
        not_found.routing = trace.as_dict()
        return not_found
    endpoint: str | None
    endpoint, reason = routing.for_question(question, available)
    trace.chose(endpoint, reason)
    endpoint = trace.start(endpoint)
    prepared: dict[str, PreparedContext] = {}
    if endpoint == routing.SMALL and trace.usable(routing.LARGE):
        counter = llm_context.CachedTokenCounter(available.small)
        try:
            prepared[routing.SMALL] = _fit(question, available.small, hits, counter)
        except LLMUnavailableError as exc:
            trace.unavailable(routing.SMALL, exc)
            endpoint = trace.fall_back(routing.SMALL)
        else:
            try:
                if _holds_more(question, trace, hits, prepared[routing.SMALL], counter):
                    endpoint = routing.LARGE
                    trace.chose(endpoint, routing.CONTEXT)
            except LLMUnavailableError as exc:
                trace.unavailable(routing.LARGE, exc)
    answer: Answer | None = None
    while endpoint is not None:
        try:
            answer = yield from _attempt(question, hits, endpoint, prepared, trace, stream)
            break
        except LLMUnavailableError as exc:
            trace.unavailable(endpoint, exc)
            endpoint = trace.fall_back(endpoint)
            if stream and endpoint is not None:
                yield _switch_event(trace)
    if answer is None:
        trace.none_available()
        answer = _without_model(question, hits, trace.unavailable_reason())
    elif (
        trace.endpoint == routing.SMALL
        and _outcome(answer) == routing.NOT_VERIFIED
        and trace.usable(routing.LARGE)
    ):
        small_answer, small_reason = answer, trace.reason
        trace.chose(routing.LARGE, routing.UNVERIFIED)
        trace.escalated = True
        if stream:
            yield _switch_event(trace)
        try:
            answer = yield from _attempt(question, hits, routing.LARGE, prepared, trace, stream)
        except LLMError as exc:
            trace.failed(routing.LARGE, exc)
            trace.chose(routing.SMALL, small_reason)
            trace.escalated = False
            answer = small_answer
        else:
            answer.usage = small_answer.usage + answer.usage  # both models' calls are spent
    answer.warnings = [*answer.warnings, *trace.warnings()]
    answer.routing = trace.as_dict()
    return answer


def _drain(events: Generator[Event, None, Answer]) -> Answer:
    while True:
        try:
            next(events)
        except StopIteration as stop:
            answer: Answer = stop.value
            return answer


def ask(
    matter: Matter,
    question: str,
    *,
    document_ids: Sequence[int] | None = None,
    client: LLMClient | None = None,
    generate: bool = True,
) -> Answer:
    """Answer ``question`` from ``matter``'s documents (optionally only ``document_ids``).
    ``client`` is the small model (default: the configured one); the large one, when
    configured, is used as ``services.routing`` decides. With ``generate=False`` the model
    writes nothing: the answer quotes the evidence sentences that best answer the question
    (what an unverifiable model answer falls back to)."""
    question = _validate(question)
    if not generate:
        return _quoted_answer(matter, question, document_ids, client)
    return _drain(_answer(matter, question, document_ids, client, stream=False))


def _quoted_answer(
    matter: Matter,
    question: str,
    document_ids: Sequence[int] | None,
    client: LLMClient | None,
) -> Answer:
    client = client or llm_context.default_client()
    hits = retrieval.hybrid_search(matter, question, RETRIEVE_K, document_ids=document_ids)
    if not _relevant(matter, question, hits, document_ids):
        return _not_found(question, client, hits)
    return _extractive_only(question, _fit(question, client, hits), client)


def stream_ask(
    matter: Matter,
    question: str,
    *,
    document_ids: Sequence[int] | None = None,
    client: LLMClient | None = None,
    on_answer: Callable[[Answer], None] | None = None,
) -> Iterator[Event]:
    """Like ``ask``, as events: ``{"type": "delta", "text": ...}`` while the model writes (a
    ``{"type": "routing", ...}`` event when another model takes over: what was streamed is set
    aside), then one ``{"type": "answer", ...}`` with the attributed, verified answer.
    ``on_answer`` gets the ``Answer`` just before its event is yielded (the front door audits
    it)."""
    question = _validate(question)
    started = time.monotonic()
    answer = yield from _answer(matter, question, document_ids, client, stream=True)
    logger.info("streamed answer in %.2fs", time.monotonic() - started)
    if on_answer is not None:
        on_answer(answer)
    yield {"type": "answer", **answer.as_dict()}
