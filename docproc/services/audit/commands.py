"""Management commands in the audit log: what a command does is recorded as done by the
system actor ``system:<command name>``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from django.core.management.base import BaseCommand

from docproc.services.audit.context import RequestContext, bound

_Command = TypeVar("_Command", bound=BaseCommand)
_Params = ParamSpec("_Params")
_Result = TypeVar("_Result")


def as_command(
    handle: Callable[Concatenate[_Command, _Params], _Result],
) -> Callable[Concatenate[_Command, _Params], _Result]:
    """Decorate a management command's ``handle``: what it does is recorded as done by
    ``system:<command name>`` (actor None)."""

    @functools.wraps(handle)
    def run(self: _Command, /, *args: _Params.args, **options: _Params.kwargs) -> _Result:
        name = type(self).__module__.rsplit(".", 1)[-1]
        with bound(RequestContext(system_actor=f"system:{name}")):
            return handle(self, *args, **options)

    return run
