"""Management commands in the audit log: what a command does is recorded as done by the
system actor ``system:<command name>``."""

from __future__ import annotations

import functools

from docproc.services.audit.context import RequestContext, bound


def as_command(handle):
    """Decorate a management command's ``handle``: what it does is recorded as done by
    ``system:<command name>`` (actor None)."""

    @functools.wraps(handle)
    def run(self, *args, **options):
        name = type(self).__module__.rsplit(".", 1)[-1]
        with bound(RequestContext(system_actor=f"system:{name}")):
            return handle(self, *args, **options)

    return run
