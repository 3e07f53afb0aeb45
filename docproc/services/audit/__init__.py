"""The audit log: security-relevant events recorded in one hash chain, and the chain verified.

One module a job:
- ``context``: who the work is done by and from where (the request context the middleware
  binds; a command's system actor);
- ``commands``: ``as_command``, which records what a management command does as
  ``system:<command>``;
- ``chain``: appending an event (``record``) and verifying the chain (``verify_chain``);
- ``events``: the per-feature records (``record_answer``, ``record_summary``, denials, ...),
  where the shape of each event's ``details`` is decided, once;
- ``console``: what the audit console reads and exports.

Callers import this package (``from docproc.services import audit``) and use the names below.
"""

from docproc.models import AuditEvent
from docproc.models.audit import Action
from docproc.services.audit.chain import (
    ChainStatus,
    JsonValue,
    Target,
    jsonable,
    record,
    verify_chain,
)
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
    "JsonValue",
    "RequestContext",
    "Target",
    "as_command",
    "bind",
    "bound",
    "can_view",
    "current_context",
    "denied",
    "export",
    "export_line",
    "hidden_documents_denied",
    "hidden_job_denied",
    "hidden_object_denied",
    "jsonable",
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
