"""Per-feature audit records: the shape of each event's ``details`` is decided here, once, by
the ``record_*`` helpers (and the denials) that the front doors, jobs and commands call."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models, transaction

from docproc.models import AuditEvent, Document, Matter
from docproc.models.audit import Action
from docproc.pipeline.llm.client import Usage
from docproc.services.audit.chain import record
from docproc.services.audit.context import current_context


def denied(actor, *, reason: str, status: int, matter=None, target=None, **details) -> AuditEvent:
    """Record an access denial (in its own savepoint: the request that was refused does not
    commit anything else)."""
    current_context().denial_recorded = True
    with transaction.atomic():
        return record(
            actor,
            Action.ACCESS_DENIED,
            matter=matter,
            target=target,
            details={"reason": reason, "status": status, **details},
        )


def hidden_object_denied(actor, model: type[models.Model], object_id) -> AuditEvent | None:
    """A user asked for a matter or document they may not see (no membership, or outside their
    token's matters) and was told it does not exist (404): record that, if the object exists.
    Unknown ids are not denials."""
    found = model.objects.filter(pk=object_id).first()
    if found is None:
        return None
    matter = found if isinstance(found, Matter) else getattr(found, "matter", None)
    return denied(
        actor, reason="outside the user's matters", status=404, matter=matter, target=found
    )


def hidden_documents_denied(actor, document_ids) -> AuditEvent | None:
    """A question narrowed to documents the user may not see: record one denial naming those
    that exist outside the user's matters (None if there are none)."""
    visible = Document.objects.visible_to(actor).values("pk")
    hidden = Document.objects.filter(pk__in=list(document_ids)).exclude(pk__in=visible)
    ids = sorted(hidden.values_list("pk", flat=True))
    if not ids:
        return None
    return denied(actor, reason="documents outside the user's matters", status=404, documents=ids)


def record_membership(actor, membership, *, change: str, previous_role=None, **extra) -> AuditEvent:
    """A membership added, its role changed, or removed (``change``)."""
    return record(
        actor,
        Action.MEMBERSHIP_CHANGE,
        matter=membership.matter,
        target=membership.user,
        details={
            "change": change,
            "user": membership.user.get_username(),
            "role": membership.role,
            "previous_role": previous_role,
            **extra,
        },
    )


def record_search(actor, matter: Matter, query: str, k: int, hits) -> AuditEvent:
    return record(
        actor,
        Action.SEARCH,
        matter=matter,
        details={"query": query, "k": k, "hits": len(hits), "chunk_ids": [h.chunk for h in hits]},
    )


def record_answer(actor, matter: Matter, answer, *, documents=None, streamed=False) -> AuditEvent:
    """The question, the answer as shown, the chunks it was built from and what the model
    spent (``answer`` is a ``services.answers.Answer``)."""
    return record(
        actor,
        Action.ASK,
        matter=matter,
        details={
            "question": answer.question,
            "answer": answer.answer,
            "found": answer.found,
            "method": answer.method,
            "chunk_ids": list(answer.chunks_used),
            "citations": [
                {"document": c["document"], "page": c["page"], "verified": c["verified"]}
                for c in answer.citations
            ],
            "documents": list(documents) if documents else None,
            "streamed": streamed,
            "model": answer.model,
            "routing": answer.routing,
            "warnings": list(answer.warnings),
            **answer.usage.as_dict(),
        },
    )


def record_summary(actor, document: Document, result: Mapping, **extra) -> AuditEvent:
    """A summary shown or made, with what the model spent on it (none for one from the cache);
    ``extra``: e.g. the job that made it."""
    return record(
        actor,
        Action.SUMMARY,
        target=document,
        details={
            "cached": bool(result.get("cached")),
            "method": result.get("method"),
            "coverage": result.get("coverage"),
            "model": result.get("model"),
            "routing": result.get("routing"),
            "warnings": list(result.get("warnings") or []),
            **Usage.from_dict(result.get("usage")).as_dict(),
            **extra,
        },
    )


def record_extraction(actor, document: Document, result: Mapping, **extra) -> AuditEvent:
    """Which fields were extracted and verified; not their values (they stay in the document).
    ``extra``: e.g. the job that ran it."""
    return record(
        actor,
        Action.EXTRACT,
        target=document,
        details={
            "schema": result.get("schema"),
            "fields": {name: field["verified"] for name, field in result["fields"].items()},
            "model": result.get("model"),
            "routing": result.get("routing"),
            "warnings": list(result.get("warnings") or []),
            **Usage.from_dict(result.get("usage")).as_dict(),
            **extra,
        },
    )
