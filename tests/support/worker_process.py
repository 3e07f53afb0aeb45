"""Start and stop a real ``celery -A workers worker`` process, for the tests and benchmarks that
need the same worker production runs, not an in-process imitation. It lives with the tests, not
in ``workers/``: production never starts a worker this way (compose.yaml and scripts/run.sh do)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from celery.utils.nodenames import host_format

from tests.support.paths import REPO


class WorkerProcess:
    """A worker subprocess in its own process group, logging to ``log_path``.

    By default it consumes every queue under a name of its own; ``queues`` and ``name`` (Celery's
    ``--hostname``, ``%h`` standing for this host) start one as compose.yaml splits them, e.g.
    ``queues=("index",), name="indexer@%h"``.
    """

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        concurrency: int = 2,
        queues: Sequence[str] = (),
        name: str = "",
    ) -> None:
        self.log_path = log_path
        self.node_name = host_format(name or f"docproc-{os.getpid()}-{time.monotonic_ns()}@%h")
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                "-n",
                self.node_name,
                *([f"--queues={','.join(queues)}"] if queues else []),
            ],
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, app, timeout: float = 120.0) -> None:
        """Return once this worker (not just any worker) answers a ping on ``app``'s broker."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited:\n{self.log()}")
            if app.control.ping(destination=[self.node_name], timeout=1.0):
                return
        raise RuntimeError(f"worker did not answer within {timeout}s:\n{self.log()}")

    def pids(self) -> list[int]:
        """The main process and its pool children."""
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [self.process.pid, *(int(pid) for pid in out.split())]

    def peak_rss_bytes(self) -> dict[int, int]:
        """High-water resident memory (VmHWM) of each live process of the worker."""
        peaks = {}
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks[pid] = int(line.split()[1]) * 1024
        return peaks

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()
