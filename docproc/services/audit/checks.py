"""Verifying the chain without re-reading all of it on every page: a full check (the command
``verify_audit`` and the scheduled task ``workers.tasks.verify_audit_chain``) walks every record,
compares the head with the one anchored outside the database, writes a checkpoint and anchors
the new head; the console's live check walks only the records after the newest intact
checkpoint."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from docproc.models import AuditCheckpoint, AuditEvent
from docproc.services.audit import anchor
from docproc.services.audit.chain import GENESIS, ChainStatus, Head, walk


def compare_with_anchor(anchored: anchor.Anchor, head: Head, checked: int) -> ChainStatus:
    """The chain (intact up to ``head``) against the last anchored head: shorter than it, or a
    different record where it was anchored, means the newest records were removed."""
    if head.seq < anchored.seq:
        removed = (
            f"record {anchored.seq} is"
            if head.seq + 1 == anchored.seq
            else f"records {head.seq + 1} to {anchored.seq} are"
        )
        problem = (
            f"the chain was cut short: it ends at record {head.seq}, but record "
            f"{anchored.seq} was anchored at {anchored.at}; {removed} missing"
        )
        return ChainStatus(False, checked, head.seq + 1, problem)
    found = AuditEvent.objects.filter(seq=anchored.seq).values_list("hash", flat=True).first()
    if found != anchored.hash:
        problem = (
            f"the chain was cut short and written again: record {anchored.seq} is not the "
            f"one anchored at {anchored.at} (its hash differs)"
        )
        return ChainStatus(False, checked, anchored.seq, problem)
    return ChainStatus(True, checked)


def full_check() -> ChainStatus:
    """Walk the whole chain, compare it with the anchored head, record the outcome as a
    checkpoint and, if intact, anchor the new head (file, and syslog if configured)."""
    anchored = anchor.latest()
    status, head = walk()
    if status.ok and anchored is not None:
        status = compare_with_anchor(anchored, head, status.checked)
    now = timezone.now()
    AuditCheckpoint.objects.create(
        seq=head.seq,
        hash=head.hash,
        verified_at=now,
        ok=status.ok,
        checked=status.checked,
        first_broken_seq=status.first_broken_seq,
        problem=status.problem or "",
    )
    if status.ok:
        anchor.append(head, now)
    return status


@dataclass(frozen=True, slots=True)
class LiveCheck:
    """What the console shows: the newest full check (None: never run), where the live check
    started (the newest intact checkpoint's head) and the status of the records after it."""

    full: AuditCheckpoint | None
    since: Head
    status: ChainStatus


def live_check() -> LiveCheck:
    """Verify only the records after the newest intact checkpoint, starting from its hash
    (the record it names must still be there, unchanged); with none, the whole chain."""
    full = AuditCheckpoint.objects.order_by("-verified_at", "-pk").first()
    checkpoint = AuditCheckpoint.objects.filter(ok=True).order_by("-verified_at", "-pk").first()
    since = Head(checkpoint.seq, checkpoint.hash) if checkpoint is not None else GENESIS
    if since.seq:
        record = AuditEvent.objects.filter(seq=since.seq).first()
        if record is None or record.hash != since.hash or record.compute_hash() != record.hash:
            problem = (
                f"record {since.seq}, found intact by the full check of "
                f"{since_time(checkpoint)}, is {'missing' if record is None else 'altered'}"
            )
            return LiveCheck(full, since, ChainStatus(False, 0, since.seq, problem))
    status, _ = walk(since)
    return LiveCheck(full, since, status)


def since_time(checkpoint: AuditCheckpoint | None) -> str:
    return checkpoint.verified_at.isoformat() if checkpoint is not None else ""
