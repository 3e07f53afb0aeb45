"""Structured extraction: a schema's fields from one document, each with its page and quote,
verified like citations.

The model fills a JSON Schema enforced by the server (``response_format``): for every field a
``value`` and the ``quote`` that states it. A field is trusted only if its quote occurs in a page
of the document and its value occurs in that quote; otherwise, if the value occurs verbatim in
the document, the sentence that contains it becomes the quote; failing both, the value is
dropped to null (the model's guess is reported as ``rejected_value``). Values are then checked
against the caller's schema.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from django.conf import settings

from docproc.models import Document, DocumentStatus, Page
from docproc.pipeline.answer.citations import locate_quote, value_in_quote
from docproc.pipeline.answer.prompts import extraction_messages
from docproc.pipeline.llm.client import LLMClient, LLMResponseError, LLMUnavailableError, Usage
from docproc.pipeline.text import split_sentences
from docproc.services import llm_context, retrieval, routing

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "pipeline" / "schemas"
RETRIEVE_K = 30


# The reason a field the model left empty gets (the document page words it "not found").
NOT_STATED = "not stated in the document"


class SchemaError(ValueError):
    """A schema that is unknown or not a JSON Schema object with properties."""


@cache
def builtin_schemas() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(SCHEMA_DIR.glob("*.json"))}


def resolve_schema(schema: str | dict[str, Any]) -> dict[str, Any]:
    """A built-in schema by name, or a caller's JSON Schema (an object with properties)."""
    if isinstance(schema, str):
        if schema not in builtin_schemas():
            raise SchemaError(
                f"Unknown schema {schema!r}; built-in: {', '.join(builtin_schemas())}."
            )
        return builtin_schemas()[schema]
    if not isinstance(schema, dict):  # JSON Schema allows true/false; a record needs fields
        raise SchemaError("The schema must be a JSON object with properties.")
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise SchemaError(f"Not a valid JSON Schema: {exc.message}") from exc
    properties = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(properties, dict) or not properties:
        raise SchemaError("The schema must be an object with at least one property.")
    if len(properties) > 50:
        raise SchemaError("The schema has more than 50 properties.")
    for name, spec in properties.items():
        # Each field is asked for, and checked, on its own: it must stand alone.
        if not isinstance(spec, dict):
            raise SchemaError(f"Property {name!r} must be a schema object, not {spec!r}.")
        if _refers(spec):
            raise SchemaError(f"Property {name!r} uses a reference; give its schema inline.")
    return schema


def _refers(node: object) -> bool:
    """Whether a schema uses ``$ref``/``$dynamicRef`` anywhere inside."""
    if isinstance(node, dict):
        return any(k in ("$ref", "$dynamicRef") or _refers(v) for k, v in node.items())
    if isinstance(node, list):
        return any(_refers(item) for item in node)
    return False


# Bounds on what the model may write, enforced by the server's grammar: an unbounded string
# lets a small model ramble until max_tokens and return invalid JSON.
MAX_VALUE_CHARS = 200
MAX_QUOTE_CHARS = 300
MAX_ITEMS = 8
MAX_ITEM_CHARS = 120


def _bounded(spec: dict[str, Any]) -> dict[str, Any]:
    bounded = {k: v for k, v in spec.items() if k != "description"}
    if bounded.get("type") == "string":
        bounded.setdefault("maxLength", MAX_VALUE_CHARS)
    if bounded.get("type") == "array":
        bounded.setdefault("maxItems", MAX_ITEMS)
        if isinstance(bounded.get("items"), dict):
            item = _bounded(bounded["items"])
            if item.get("type") == "string":
                item["maxLength"] = min(item["maxLength"], MAX_ITEM_CHARS)
            bounded["items"] = item
    return bounded


def llm_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """What the model must produce for one field: its value (or null) and a quote."""
    return {
        "type": "object",
        "properties": {
            "value": {"anyOf": [_bounded(spec), {"type": "null"}]},
            "quote": {
                "anyOf": [{"type": "string", "maxLength": MAX_QUOTE_CHARS}, {"type": "null"}]
            },
        },
        "required": ["value", "quote"],
        "additionalProperties": False,
    }


def _pages(document: Document) -> dict[int, str]:
    return dict(Page.objects.filter(document=document).values_list("number", "text"))


def _values(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _find_in_document(value: object, pages: dict[int, str]) -> tuple[int, str, int, int] | None:
    """The first sentence of the document containing every item of ``value``."""
    for number, text in sorted(pages.items()):
        for start, end in split_sentences(text):
            sentence = text[start:end]
            if all(value_in_quote(v, sentence) for v in _values(value)):
                return number, sentence, start, end
    return None


def _locate(quote: str, pages: dict[int, str]) -> tuple[int, int, int] | None:
    for number, text in sorted(pages.items()):
        span = locate_quote(quote, text)
        if span:
            return number, span[0], span[1]
    return None


def _field(
    value: object,
    page: int | None = None,
    quote: str | None = None,
    span: tuple[int | None, int | None] = (None, None),
    verified: bool = False,
    reason: str = "",
    **extra: object,
) -> dict[str, Any]:
    return {
        "value": value,
        "page": page,
        "quote": quote,
        "char_start": span[0],
        "char_end": span[1],
        "verified": verified,
        "reason": reason,
        **extra,
    }


def verify_field(
    name: str, spec: dict[str, Any], raw: dict[str, Any] | None, pages: dict[int, str]
) -> dict[str, Any]:
    """Decide what to trust of one field the model returned."""
    raw = raw or {}
    value, quote = raw.get("value"), raw.get("quote")
    if value is None or value == "" or value == []:
        return _field(None, reason=NOT_STATED)
    result = None
    if isinstance(quote, str) and quote.strip():
        located = _locate(quote, pages)
        if located and all(value_in_quote(v, quote) for v in _values(value)):
            page, start, end = located
            result = _field(value, page, pages[page][start:end], (start, end), True)
    if result is None:
        found = _find_in_document(value, pages)
        if found:
            page, sentence, start, end = found
            reason = "quote replaced by the document sentence stating the value"
            result = _field(value, page, sentence, (start, end), True, reason)
    if result is None:
        reason = "the value does not occur in the document, so it is not trusted"
        return _field(None, reason=reason, rejected_value=value)
    try:
        jsonschema.validate(value, {k: v for k, v in spec.items() if k != "description"})
    except jsonschema.ValidationError as exc:
        reason = f"the value does not fit the schema: {exc.message}"
        return _field(None, result["page"], result["quote"], reason=reason, rejected_value=value)
    return result


def extract(
    document: Document, schema: str | dict[str, Any], *, client: LLMClient | None = None
) -> dict[str, Any]:
    """Extract ``schema``'s fields from ``document``; JSON-ready data.

    ``client`` is the small model (default: the configured one); a long document goes to the
    large model when one is configured (``services.routing``), and either takes over when the
    other is down. With no model reachable this raises ``LLMUnavailableError``: a field is
    never guessed without one."""
    if document.status != DocumentStatus.INDEXED:
        raise SchemaError(f"The document is {document.status}; extraction needs it indexed.")
    resolved = resolve_schema(schema)
    trace = routing.Trace(routing.models(client))
    endpoint: str | None
    endpoint, reason = routing.for_document(document.page_count or 0, trace.available)
    trace.chose(endpoint, reason)
    endpoint = trace.start(endpoint)
    while True:
        if endpoint is None:
            raise LLMUnavailableError(
                "No language model is available: " + trace.unavailable_reason(),
                reason=trace.unavailable_reason(),
            )
        try:
            result = _extract(document, schema, resolved, trace.available.client(endpoint))
        except LLMUnavailableError as exc:
            trace.unavailable(endpoint, exc)
            endpoint = trace.fall_back(endpoint)
            if endpoint is None:
                raise
            continue
        trace.tried(endpoint, routing.DONE)
        return {**result, "warnings": trace.warnings(), "routing": trace.as_dict()}


def _extract(
    document: Document, schema: str | dict[str, Any], resolved: dict[str, Any], client: LLMClient
) -> dict[str, Any]:
    """The fields ``client``'s model extracts, each verified against the document."""
    title = resolved.get("title") or (schema if isinstance(schema, str) else "record")
    fields = resolved["properties"]
    query = " ".join([title.replace("_", " ")] + [
        f"{n.replace('_', ' ')} {s.get('description', '')}" for n, s in fields.items()
    ])  # fmt: skip
    hits = retrieval.hybrid_search(document.matter, query, RETRIEVE_K, document_ids=[document.pk])
    reserve = settings.LLM_EXTRACTION_TOKENS
    # Every field's prompt shows the same evidence; it is fitted with the longest field asked.
    longest = max(fields.items(), key=lambda item: len(json.dumps(item)))
    context = llm_context.prepare_context(
        client,
        lambda evidence: extraction_messages(title, longest, evidence),
        hits,
        reserve,
        query=query,
    )
    kept = context.evidence
    produced: dict[str, dict[str, Any] | None] = {}
    failures: dict[str, str] = {}
    usage = Usage()
    for name, spec in fields.items():
        try:
            completion = client.chat(
                extraction_messages(title, (name, spec), kept), max_tokens=reserve,
                json_schema=llm_schema(spec), schema_name=name[:64],
            )  # fmt: skip
            produced[name] = json.loads(completion.text)
        except (LLMResponseError, json.JSONDecodeError) as exc:
            failures[name] = f"the model's answer for this field was unusable ({exc})"
            continue
        usage += completion.usage
    pages = _pages(document)
    results = {
        name: _field(None, reason=failures[name])
        if name in failures
        else verify_field(name, spec, produced.get(name), pages)
        for name, spec in fields.items()
    }
    return {
        "document": document.pk,
        "schema": title,
        "fields": results,
        "context": context.accounting.as_dict(),
        "model": client.model,
        "usage": usage.as_dict(),
    }
