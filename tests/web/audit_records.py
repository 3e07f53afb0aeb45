"""Reading what the web tests check: the audit log's events of one action, its denials, and a
page's words."""

from __future__ import annotations

import html
import re

from docproc.models import AuditEvent


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def denials() -> list[tuple[str, str, int]]:
    """(who, reason, status) of every access denial, in order."""
    return [
        (e.actor_name, e.details["reason"], e.details["status"])
        for e in AuditEvent.objects.filter(action="access_denied").order_by("seq")
    ]


def text(response) -> str:
    """The page's words: tags removed, entities decoded, runs of spaces made one."""
    words = re.sub(r"<[^>]+>", " ", response.content.decode())
    spaced = re.sub(r"\s+", " ", html.unescape(words)).strip()
    return re.sub(r" ([.,;:])", r"\1", spaced)  # a tag closed before the full stop
