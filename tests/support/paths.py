"""Where the repository is, and where the processes that tests start write their logs."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Logs of workers and model servers and browser screenshots, kept after a run for a look.
ARTIFACTS = REPO / "test-artifacts"
