"""The audit log: security-relevant events recorded in one hash chain, and the chain verified.

One module a job:
- ``context``: who the work is done by and from where (the request context the middleware
  binds; a command's system actor);
- ``commands``: ``as_command``, which records what a management command does as
  ``system:<command>``;
- ``chain``: appending an event (``record``) and verifying the chain (``verify_chain``);
- ``anchor``: the chain's head appended to a file (and syslog) outside the database;
- ``checks``: the full check (walk, compare with the anchor, checkpoint, anchor) and the
  console's live check of the records after the newest checkpoint;
- ``flood``: failures a client can repeat (bad tokens, failed sign-ins, refused requests)
  merged into one record per window and address, the refusals they lead to, and status reads
  recorded once a window;
- ``events``: the per-feature records (``record_answer``, ``record_summary``, denials, ...),
  where the shape of each event's ``details`` is decided, once;
- ``console``: what the audit console reads and exports.

Callers import this package (``from docproc.services import audit``) and use the names below.
"""

from docproc.models import AuditEvent
from docproc.models.audit import Action
from docproc.services.audit import anchor, flood
from docproc.services.audit.chain import (
    ChainStatus,
    Head,
    JsonValue,
    Target,
    jsonable,
    record,
    verify_chain,
)
from docproc.services.audit.checks import LiveCheck, full_check, live_check
from docproc.services.audit.commands import as_command
from docproc.services.audit.console import (
    AuditFilter,
    AuditFilterError,
    Export,
    can_view,
    export,
    export_line,
)
from docproc.services.audit.context import (
    REQUEST_ID,
    Actor,
    RequestContext,
    bind,
    bound,
    current_context,
    person,
    sane_request_id,
    unbind,
)
from docproc.services.audit.events import (
    denied,
    hidden_documents_denied,
    hidden_job_denied,
    hidden_object_denied,
    record_answer,
    record_extraction,
    record_membership,
    record_search,
    record_summary,
)

__all__ = [
    "REQUEST_ID",
    "Action",
    "Actor",
    "AuditEvent",
    "AuditFilter",
    "AuditFilterError",
    "ChainStatus",
    "Export",
    "Head",
    "JsonValue",
    "LiveCheck",
    "RequestContext",
    "Target",
    "anchor",
    "as_command",
    "bind",
    "bound",
    "can_view",
    "current_context",
    "person",
    "denied",
    "export",
    "export_line",
    "flood",
    "full_check",
    "hidden_documents_denied",
    "hidden_job_denied",
    "hidden_object_denied",
    "jsonable",
    "live_check",
    "record",
    "record_answer",
    "record_extraction",
    "record_membership",
    "record_search",
    "record_summary",
    "sane_request_id",
    "unbind",
    "verify_chain",
]
