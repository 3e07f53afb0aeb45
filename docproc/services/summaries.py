"""Document summaries within the model's context: map-reduce for long documents, every
statement cited to a page passage and checked, coverage stated, cached per document and model.

Map: consecutive passages are grouped into windows that fit the context, and each window is
summarised. Reduce: the section summaries are summarised again (in groups, recursively, while
they do not fit). The final statements are attributed against all of the document's passages,
so their citations point at pages, not at intermediate summaries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.db import IntegrityError

from docproc.models import Chunk, Document, DocumentStatus, Summary
from docproc.pipeline.answer.attribution import attribute, strip_markers
from docproc.pipeline.answer.prompts import PROMPT_VERSION, render_evidence, summary_messages
from docproc.pipeline.llm.client import LLMClient, LLMUnavailableError, Usage
from docproc.pipeline.text import split_sentences
from docproc.pipeline.types import Passage
from docproc.services import llm_context, routing

logger = logging.getLogger(__name__)

MAX_ROUNDS = 6
# With no model reachable: quote this many of the document's first sentences of at least this
# many words (shorter ones are headings, numbers, date lines).
OPENING_SENTENCES = 3
OPENING_MIN_WORDS = 6
OPENING_NOTE = (
    "The language model is unavailable ({reason}), so this is not a summary: it quotes the "
    "document's opening sentences."
)


class SummaryError(ValueError):
    """A document that cannot be summarised (not indexed yet, no text, or too long for the
    model's context even after map-reduce)."""


def _passages(document: Document) -> list[Passage]:
    """Every chunk of the document as a passage, in reading order (numbered for citations)."""
    rows = Chunk.objects.filter(document=document).order_by("ordinal")
    return [
        Passage(
            id=row.ordinal + 1,
            chunk=row.pk,
            document=document.pk,
            filename=document.filename,
            page=row.page,
            char_start=row.char_start,
            char_end=row.char_end,
            text=row.text,
        )
        for row in rows
    ]


def _units(
    passages: Sequence[Passage], budget: int, counter: Callable[[str], int]
) -> tuple[list[Passage], int]:
    """Passages small enough to fit a window, splitting any larger one into its sentences.
    Returns the units and how many sentences were too long for any window (left out)."""
    units: list[Passage] = []
    skipped = 0
    for passage in passages:
        if counter(render_evidence(passage)) <= budget:
            units.append(passage)
            continue
        for start, end in split_sentences(passage.text):
            piece = replace(
                passage,
                id=0,
                char_start=passage.char_start + start,
                char_end=passage.char_start + end,
                text=passage.text[start:end],
            )
            if counter(render_evidence(piece)) <= budget:
                units.append(piece)
            else:
                skipped += 1
    return units, skipped


def _windows(
    items: Sequence[Passage], budget: int, counter: Callable[[str], int]
) -> list[list[Passage]]:
    """Consecutive groups whose rendered text fits ``budget`` tokens. A passage larger than
    the whole budget (impossible for chunks, possible for a long section summary) is alone."""
    windows: list[list[Passage]] = []
    current: list[Passage] = []
    used = 0
    for item in items:
        cost = counter(render_evidence(item))
        if current and used + cost > budget:
            windows.append(current)
            current, used = [], 0
        current.append(item)
        used += cost
    if current:
        windows.append(current)
    return windows


def _section(number: int, window: Sequence[Passage], summary: str) -> Passage:
    """A section summary standing for ``window`` (from its first passage to its last) in the
    next round of map-reduce."""
    first, last = window[0], window[-1]
    return replace(first, id=number, char_end=last.char_end, text=summary, score=0.0)


def _summarise(
    client: LLMClient, window: Sequence[Passage], partial: bool, covered: set[int] | None = None
) -> tuple[str, Usage, list[Passage]]:
    """Summarise one window; adds the pages that reached the model to ``covered``. Returns the
    text, what the call spent and the evidence as numbered in the prompt (what its [n] name)."""
    context = llm_context.prepare_context(
        client,
        lambda evidence: summary_messages(evidence, partial=partial),
        window,
        settings.LLM_SUMMARY_TOKENS,
    )
    if covered is not None:
        covered.update(e.page for e in context.evidence)
    completion = client.chat(context.messages, max_tokens=settings.LLM_SUMMARY_TOKENS)
    return completion.text.strip(), completion.usage, list(context.evidence)


def cached(document: Document, model: str) -> dict[str, Any] | None:
    """The stored summary of ``document`` by ``model`` under the current prompt (marked
    ``"cached": true``, with no usage: nothing is spent to show it), or None. Reads only the
    database: no model call."""
    stored = Summary.objects.filter(
        document=document, model=model, prompt_version=PROMPT_VERSION
    ).first()
    if stored is None:
        return None
    return {**stored.result, "usage": Usage().as_dict(), "cached": True}


def cached_any(document: Document, client: LLMClient | None = None) -> dict[str, Any] | None:
    """The stored summary the routing would serve: its chosen model's, else the other
    configured model's, else None. Reads only the database."""
    available = routing.models(client)
    first, _ = routing.for_document(document.page_count or 0, available)
    order = [first] + ([routing.SMALL] if first == routing.LARGE else [])
    if first == routing.SMALL and available.large is not None:
        order.append(routing.LARGE)
    for endpoint in order:
        if (stored := cached(document, available.client(endpoint).model)) is not None:
            return stored
    return None


def summarize(
    document: Document, *, client: LLMClient | None = None, refresh: bool = False
) -> dict[str, Any]:
    """The document's summary as JSON-ready data (from the cache unless ``refresh``).

    ``client`` is the small model (default: the configured one); a long document goes to the
    large model when one is configured (``services.routing``), and either takes over when the
    other is down. With no model reachable, the document's opening sentences are quoted
    instead, marked as such and not cached."""
    if document.status != DocumentStatus.INDEXED:
        raise SummaryError(f"The document is {document.status}; it can be summarised once indexed.")
    trace = routing.Trace(routing.models(client))
    endpoint: str | None
    endpoint, reason = routing.for_document(document.page_count or 0, trace.available)
    trace.chose(endpoint, reason)
    endpoint = trace.start(endpoint)
    while endpoint is not None:
        chosen = trace.available.client(endpoint)
        if not refresh and (stored := cached(document, chosen.model)) is not None:
            return {**stored, "warnings": [*stored.get("warnings", []), *trace.warnings()]}
        try:
            result = _summary(document, chosen)
        except LLMUnavailableError as exc:
            trace.unavailable(endpoint, exc)
            endpoint = trace.fall_back(endpoint)
            continue
        trace.tried(endpoint, routing.DONE)
        result["routing"] = trace.as_dict()
        _store(document, chosen.model, result)
        result["warnings"] = [*result["warnings"], *trace.warnings()]
        return {**result, "cached": False}
    trace.none_available()
    return _opening_sentences(document, trace)


def _store(document: Document, model: str, result: dict[str, Any]) -> None:
    try:
        Summary.objects.update_or_create(
            document=document, model=model, prompt_version=PROMPT_VERSION,
            defaults={"result": result},
        )  # fmt: skip
    except IntegrityError:
        logger.info("summary of %s stored concurrently", document.pk)


def _opening_sentences(document: Document, trace: routing.Trace) -> dict[str, Any]:
    """No model answers: the document's first sentences that say something, quoted and
    verified, with a warning that this is not a summary. Not cached."""
    pieces: list[Passage] = []
    for passage in _passages(document):
        for start, offset, line in _sentence_lines(passage.text):
            if len(pieces) == OPENING_SENTENCES:
                break
            begin = passage.char_start + start + offset
            pieces.append(
                replace(
                    passage,
                    id=len(pieces) + 1,
                    char_start=begin,
                    char_end=begin + len(line),
                    text=line,
                )
            )
    quoted = " ".join(f"“{piece.text}” [{piece.id}]" for piece in pieces)
    attributed = attribute(quoted, pieces, llm_context.page_texts(pieces)) if pieces else None
    return {
        "document": document.pk,
        "summary": attributed.text if attributed else "",
        "statements": list(attributed.statements) if attributed else [],
        "citations": [c.as_dict() for c in attributed.citations] if attributed else [],
        "coverage": {
            "pages_covered": len({p.page for p in pieces}),
            "pages_total": document.page_count or 0,
        },
        "warnings": [OPENING_NOTE.format(reason=trace.unavailable_reason())],
        "model": None,
        "method": "extractive (opening sentences)",
        "tokens": 0,
        "usage": Usage().as_dict(),
        "routing": trace.as_dict(),
        "cached": False,
    }


def _sentence_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """``(sentence start, offset in it, line)`` for each line of each sentence of ``text``
    that says something: a heading glued to the sentence after it ("1. PAYMENT") is not."""
    for start, end in split_sentences(text):
        sentence = text[start:end]
        cursor = 0
        for raw in sentence.split("\n"):
            offset = sentence.index(raw, cursor)
            cursor = offset + len(raw)
            line = raw.strip()
            if len(line.split()) >= OPENING_MIN_WORDS:
                yield start, offset + raw.index(line), line


def _summary(document: Document, client: LLMClient) -> dict[str, Any]:
    """The summary ``client``'s model writes (map-reduce when the document does not fit)."""
    passages = _passages(document)
    if not passages:
        raise SummaryError("The document has no text to summarise.")
    counter = llm_context.CachedTokenCounter(client)
    budget = llm_context.evidence_budget(
        client, summary_messages([], partial=True), settings.LLM_SUMMARY_TOKENS
    )
    usage = Usage()
    covered: set[int] = set()
    units, skipped = _units(passages, budget, counter)
    if not units:
        raise SummaryError("No passage of the document fits the model's context window.")
    windows = _windows(units, budget, counter)
    if len(windows) == 1:
        text, spent, sent = _summarise(client, windows[0], partial=False, covered=covered)
        usage += spent
        rounds = 1
    else:
        sections: list[Passage] = []
        for window in windows:
            text, spent, _ = _summarise(client, window, partial=True, covered=covered)
            usage += spent
            sections.append(_section(len(sections) + 1, window, text))
        rounds = 1
        while True:
            rounds += 1
            groups = _windows(sections, budget, counter)
            if len(groups) == 1:
                text, spent, _ = _summarise(client, groups[0], partial=False)
                usage += spent
                break
            if rounds > MAX_ROUNDS or len(groups) == len(sections):
                # No progress: never summarise a part and present it as the whole.
                raise SummaryError(
                    "The section summaries did not shrink to fit the model's context; the "
                    "document is too long to summarise with this model."
                )
            merged: list[Passage] = []
            for group in groups:
                summary, spent, _ = _summarise(client, group, partial=True)
                usage += spent
                merged.append(_section(len(merged) + 1, group, summary))
            sections = merged

    if len(windows) == 1:
        # Its [n] name the passages as numbered in its prompt (split sentences included).
        attributed = attribute(text, sent, llm_context.page_texts(sent))
    else:
        # Its [n] name section summaries, not passages: each statement is attributed anew to
        # the passage of the document sharing the most of its words.
        attributed = attribute(strip_markers(text), passages, llm_context.page_texts(passages))
    warnings = []
    if skipped:
        warnings.append(
            f"{skipped} sentence(s) longer than the model's window were left out of the summary."
        )
    unverified = [c for c in attributed.citations if not c.verified]
    if unverified:
        warnings.append(
            "Some statements could not be verified against the document: "
            + ", ".join(f"[{m}]" for m in dict.fromkeys(c.marker for c in unverified))
            + "."
        )
    result = {
        "document": document.pk,
        "summary": attributed.text,
        "statements": list(attributed.statements),
        "citations": [c.as_dict() for c in attributed.citations],
        "coverage": {"pages_covered": len(covered), "pages_total": document.page_count or 0},
        "warnings": warnings,
        "model": client.model,
        "method": "single pass" if len(windows) == 1 else f"map-reduce ({len(windows)} sections)",
        "tokens": usage.total_tokens,
        "usage": usage.as_dict(),
    }
    return result
