"""Django's deployment checklist run as a separate process with only the given settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO


def check_deploy(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """``manage.py check --deploy --fail-level WARNING`` with only ``variables`` of ours set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCPROC_")}
    env["DOCPROC_DATA_DIR"] = str(tmp_path)
    if "DOCPROC_DATABASE_URL_FILE" not in variables:
        env["DOCPROC_DATABASE_URL"] = f"sqlite:///{tmp_path / 'check.sqlite3'}"
    env.update(variables)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
