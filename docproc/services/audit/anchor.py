"""The chain's head kept outside the database: every full verification appends the newest
record's seq and hash (with the time) to an append-only file, ``DOCPROC_AUDIT_ANCHOR_FILE``, and,
if ``DOCPROC_AUDIT_SYSLOG_ADDRESS`` is set, sends the same line to syslog.

Why: the chain shows an altered or removed record inside it, but removing the newest records
(or all of them, as TRUNCATE would) leaves a shorter chain that still verifies. Compared with
the last anchored head, it does not (``checks.full_check``).

One JSON line per head, ``{"at", "hash", "seq"}``, written in one ``write`` to a file opened
with O_APPEND and fsync'd before the verification reports success.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

from docproc.models.audit import canonical_json, canonical_time
from docproc.services.audit.chain import Head

logger = logging.getLogger(__name__)

# Enough of the file's end to hold the last lines (each ~120 bytes) when reading the latest.
_TAIL_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Anchor:
    """A head of the chain as anchored: record ``seq`` had ``hash`` at time ``at`` (ISO 8601)."""

    seq: int
    hash: str
    at: str

    @property
    def head(self) -> Head:
        return Head(self.seq, self.hash)


def anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


def line_for(head: Head, at: datetime) -> str:
    return canonical_json({"seq": head.seq, "hash": head.hash, "at": canonical_time(at)}) + "\n"


def append(head: Head, at: datetime) -> Anchor:
    """Append ``head`` to the anchor file (created 0600 if missing) and make it durable; send it
    to syslog too when configured. An error writing the file is raised: a verification that
    could not anchor must not report success."""
    line = line_for(head, at)
    path = anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line.encode("utf-8"))  # one write: lines never interleave
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    if settings.AUDIT_SYSLOG_ADDRESS:
        send_to_syslog(settings.AUDIT_SYSLOG_ADDRESS, line.strip())
    return Anchor(head.seq, head.hash, canonical_time(at))


def syslog_address(value: str) -> str | tuple[str, int]:
    """``host:port`` (UDP; port 514 if left out) or a local socket path such as ``/dev/log``."""
    if value.startswith("/"):
        return value
    host, colon, port = value.rpartition(":")
    if not colon:
        return (value, logging.handlers.SYSLOG_UDP_PORT)
    return (host.strip("[]") or "localhost", int(port))


def send_to_syslog(address: str, message: str) -> None:
    """Send one ``docproc-audit: <message>`` line to syslog (facility auth, level notice)."""
    handler = logging.handlers.SysLogHandler(
        address=syslog_address(address), facility=logging.handlers.SysLogHandler.LOG_AUTH
    )
    handler.setFormatter(logging.Formatter("docproc-audit: %(message)s"))
    try:
        entry = logging.LogRecord(__name__, logging.WARNING, __file__, 0, message, None, None)
        handler.emit(entry)
    finally:
        handler.close()


def latest() -> Anchor | None:
    """The anchored head with the highest seq among the file's last lines (None: nothing
    anchored yet). Unparseable lines (a torn last write) are skipped."""
    path = anchor_path()
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _TAIL_BYTES))
            tail = handle.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return None
    lines = tail.splitlines()
    if size > _TAIL_BYTES:
        lines = lines[1:]  # the first may be cut
    found: Anchor | None = None
    for line in lines:
        try:
            data = json.loads(line)
            anchor = Anchor(int(data["seq"]), str(data["hash"]), str(data["at"]))
        except (ValueError, KeyError, TypeError):
            logger.warning("skipping an unreadable line of the audit anchor file %s", path)
            continue
        if found is None or anchor.seq >= found.seq:
            found = anchor
    return found
