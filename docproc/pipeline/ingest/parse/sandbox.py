"""Run parsing in a forked child under a time limit and a memory limit.

A hostile or broken file can make a parser hang, allocate without end or crash in C code. Run
in the worker itself, that takes the worker down, and the queue redelivers the same document
to the next worker (``reject_on_worker_lost`` in ``workers/base.py``), so one file could stop
every worker in turn. Here the parse runs in a child forked from the caller: the child shares
the libraries the warm worker has already loaded (copy-on-write), limits its own address space
with ``RLIMIT_AS`` and is killed at the deadline. A child that runs out of time or memory, or
dies, becomes a ``DocumentError`` whose reason a person can act on; the caller lives on.

The child never touches the database or any other shared connection: it only computes and
writes its pickled result to a pipe, then leaves with ``os._exit`` so no inherited connection
is closed or flushed on the caller's behalf.
"""

from __future__ import annotations

import ctypes
import logging
import os
import pickle
import resource
import select
import signal
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from docproc.pipeline.types import DocumentError

logger = logging.getLogger(__name__)

T = TypeVar("T")

TIMEOUT_REASON = (
    "Parsing took longer than the limit of {seconds:g} s and was stopped. The original is "
    "kept; the file may be malformed, or an administrator can raise DOCPROC_PARSE_TIMEOUT_S."
)
MEMORY_REASON = (
    "Parsing needed more than the limit of {mib} MiB of memory and was stopped. The original "
    "is kept; the file may be malformed, or an administrator can raise DOCPROC_PARSE_MEMORY_MB."
)
CRASH_REASON = (
    "The parser stopped unexpectedly ({how}); the file may be malformed. The original is kept."
)

_READ_SIZE = 1 << 16
_PR_SET_PDEATHSIG = 1
# What the child reports: ("ok", value), ("error", exception) or ("memory", None).
_Outcome = tuple[str, object]


class ParseCrashedError(RuntimeError):
    """The child raised an exception that could not be sent back as it was."""


def run_limited(work: Callable[[], T], *, timeout_s: float, memory_mb: int) -> T:
    """Return ``work()``, computed in a forked child that may use ``memory_mb`` MiB more
    address space than the caller has now and must finish within ``timeout_s`` seconds.

    Exceptions ``work`` raises are raised here (a DocumentError as itself). Running out of
    time or memory, or a child that dies, raises DocumentError with a reason naming the limit.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(work, write_fd, memory_mb)
    os.close(write_fd)
    try:
        payload, timed_out = _collect(read_fd, timeout_s)
    except BaseException:
        # A Celery soft time limit, a KeyboardInterrupt: the child must not outlive us.
        _kill(pid)
        raise
    finally:
        os.close(read_fd)
    if timed_out:
        _kill(pid)
        logger.warning("parse child %s killed after %.0f s", pid, timeout_s)
        raise DocumentError(TIMEOUT_REASON.format(seconds=timeout_s))
    status = _reap(pid)
    outcome = _unpickle(payload)
    if outcome is None:
        logger.warning("parse child %s died without a result (status %s)", pid, status)
        raise DocumentError(CRASH_REASON.format(how=_describe_status(status)))
    kind, value = outcome
    if kind == "ok":
        return value  # type: ignore[return-value]  # what work() returned
    if kind == "memory":
        raise DocumentError(MEMORY_REASON.format(mib=memory_mb))
    assert isinstance(value, BaseException)
    raise value


def _child(work: Callable[[], T], write_fd: int, memory_mb: int) -> None:
    """Run ``work`` under the memory limit, write its outcome to ``write_fd``, and exit."""
    code = 0
    try:
        _die_with_parent()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _limit_memory(memory_mb)
        try:
            outcome: _Outcome = ("ok", work())
        except MemoryError:
            outcome = ("memory", None)
        except BaseException as exc:  # sent back to the caller, who raises it
            outcome = ("error", exc)
        try:
            payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = pickle.dumps(("memory", None))
        except Exception as exc:  # an exception (or result) that does not pickle
            payload = pickle.dumps(("error", ParseCrashedError(repr(exc)[:500])))
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(payload)
    except BaseException:  # even reporting failed: the caller sees a death
        code = 1
    finally:
        # Flush nothing inherited (the caller's log handlers, database connections).
        os._exit(code)


def _limit_memory(memory_mb: int) -> None:
    """Cap the child's address space at what it has now plus ``memory_mb`` MiB: the caller's
    own mappings (a loaded model, a thread pool) do not count against the document."""
    budget = memory_mb * 1024 * 1024
    limit = _address_space_bytes() + budget
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _address_space_bytes() -> int:
    """This process's virtual memory size (VmSize), in bytes."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _die_with_parent() -> None:
    """Ask Linux to kill the child if the caller dies first (no orphaned parse runs on)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _collect(read_fd: int, timeout_s: float) -> tuple[bytes, bool]:
    """Read the child's whole report; returns (bytes, whether the deadline passed first)."""
    deadline = time.monotonic() + timeout_s
    pieces: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"".join(pieces), True
        ready, _, _ = select.select([read_fd], [], [], remaining)
        if not ready:
            continue
        piece = os.read(read_fd, _READ_SIZE)
        if not piece:
            return b"".join(pieces), False
        pieces.append(piece)


def _unpickle(payload: bytes) -> _Outcome | None:
    if not payload:
        return None
    try:
        outcome = pickle.loads(payload)  # noqa: S301  # written by our own child
    except Exception:  # a truncated report: the child died while writing
        return None
    if not (isinstance(outcome, tuple) and len(outcome) == 2 and isinstance(outcome[0], str)):
        return None
    return outcome


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(pid)


def _reap(pid: int) -> int:
    """Wait for the child to end; returns its wait status."""
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            return status
        except ChildProcessError:
            return 0
        except InterruptedError:
            continue


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"killed by {name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
