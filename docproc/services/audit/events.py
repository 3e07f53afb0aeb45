"""Per-feature audit records: the shape of each event's ``details`` is decided here, once, by
the ``record_*`` helpers (and the denials) that the front doors, jobs and commands call."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import transaction

from docproc.models import AuditEvent, Document, Job, Matter, Membership, Screen
from docproc.models.audit import Action
from docproc.pipeline.llm.client import Usage
from docproc.pipeline.types import Passage
from docproc.services.audit.chain import Target, record
from docproc.services.audit.context import Actor, current_context

if TYPE_CHECKING:
    from docproc.services.answers import Answer


def denied(
    actor: Actor,
    *,
    reason: str,
    status: int,
    matter: Matter | None = None,
    target: Target = None,
    **details: object,
) -> AuditEvent:
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


def hidden_object_denied(
    actor: Actor, model: type[Matter] | type[Document], object_id: int
) -> AuditEvent | None:
    """A user asked for a matter or document they may not see (no membership, or outside their
    token's matters) and was told it does not exist (404): record that, if the object exists.
    Unknown ids are not denials."""
    found = model.objects.filter(pk=object_id).first()
    if found is None:
        return None
    matter = found if isinstance(found, Matter) else getattr(found, "matter", None)
    is_screened = (
        matter is not None
        and actor is not None
        and actor.is_authenticated
        and Screen.objects.filter(matter=matter, user=actor, lifted_at__isnull=True).exists()
    )
    reason = "screened from the matter" if is_screened else "outside the user's matters"
    return denied(actor, reason=reason, status=404, matter=matter, target=found)


def hidden_job_denied(actor: Actor, job_id: UUID | str) -> AuditEvent | None:
    """A user asked for a job that is not theirs (or whose document they may no longer see)
    and was told it does not exist (404): record that, naming the job's matter and document,
    if the job exists. Unknown ids are not denials."""
    job = Job.objects.select_related("document__matter").filter(pk=job_id).first()
    if job is None:
        return None
    return denied(
        actor,
        reason="another user's job, or outside the user's matters",
        status=404,
        matter=job.document.matter,
        target=job.document,
        job=str(job.pk),
    )


def hidden_documents_denied(actor: Actor, document_ids: Iterable[int]) -> AuditEvent | None:
    """A question narrowed to documents the user may not see: record one denial naming those
    that exist outside the user's matters (None if there are none)."""
    visible = Document.objects.visible_to(actor).values("pk")
    hidden = Document.objects.filter(pk__in=list(document_ids)).exclude(pk__in=visible)
    ids = sorted(hidden.values_list("pk", flat=True))
    if not ids:
        return None
    return denied(actor, reason="documents outside the user's matters", status=404, documents=ids)


def record_membership(
    actor: Actor,
    membership: Membership,
    *,
    change: str,
    previous_role: str | None = None,
    **extra: object,
) -> AuditEvent:
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


def record_search(
    actor: Actor, matter: Matter, query: str, k: int, hits: Sequence[Passage]
) -> AuditEvent:
    return record(
        actor,
        Action.SEARCH,
        matter=matter,
        details={"query": query, "k": k, "hits": len(hits), "chunk_ids": [h.chunk for h in hits]},
    )


def record_answer(
    actor: Actor,
    matter: Matter,
    answer: Answer,
    *,
    documents: Iterable[int] | None = None,
    streamed: bool = False,
) -> AuditEvent:
    """The question (the asker's own words), a digest and the length of the answer shown, the
    chunks it was built from and what the model spent (``answer`` is a
    ``services.answers.Answer``).

    The answer's text is not kept: it quotes the matter's documents, and the log is read by
    administrators who are not members of the matter (the console, ``GET /api/v1/audit/``,
    the Django admin). The digest still proves which answer was shown, against a copy."""
    return record(
        actor,
        Action.ASK,
        matter=matter,
        details={
            "question": answer.question,
            "answer_sha256": hashlib.sha256(answer.answer.encode()).hexdigest(),
            "answer_chars": len(answer.answer),
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


def record_summary(
    actor: Actor, document: Document, result: Mapping[str, Any], **extra: object
) -> AuditEvent:
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


def record_extraction(
    actor: Actor, document: Document, result: Mapping[str, Any], **extra: object
) -> AuditEvent:
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
