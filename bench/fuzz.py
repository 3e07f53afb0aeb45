"""Property-based fuzzing at length: the suite's hypothesis properties (sniffing and parsing any
bytes and damaged real files, chunking, normalisation, quote location, compression, citation
checks, a caller's schema and the model's field answers) run with many more examples each.

    .venv/bin/python bench/fuzz.py --examples 2000

Prints, per property, the examples run and whether it held; then the executions in all and the
crashes found (goal 0). Needs no database, Redis or model server.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROPERTY_TESTS = [
    "tests/pipeline/ingest/test_properties.py",
    "tests/pipeline/answer/test_properties.py",
    "tests/services/test_schema_properties.py",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, help="examples per property")
    args = parser.parse_args()
    env = {**os.environ, "DOCPROC_FUZZ_EXAMPLES": str(args.examples)}
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *PROPERTY_TESTS, "-q", "-p", "no:cacheprovider",
         "--hypothesis-show-statistics", "-o", "addopts="],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    executions = 0
    for name, block in re.findall(r"::(test_\w+):\n(.*?)(?=\n\S|\Z)", run.stdout, re.S):
        counts = re.findall(r"(\d+) passing, (\d+) failing", block)
        ran = sum(int(p) + int(f) for p, f in counts)
        failing = sum(int(f) for _, f in counts)
        executions += ran
        print(f"{name}: {ran} examples, {failing} failing")
    failed = re.findall(r"^FAILED (\S+)", run.stdout, re.M)
    print(
        f"{executions} executions over {len(PROPERTY_TESTS)} files in {elapsed:.0f} s; "
        f"crashes found {len(failed)}" + (f": {', '.join(failed)}" if failed else "")
    )
    if run.returncode not in (0, 1):
        print(run.stdout[-3000:], run.stderr[-3000:])


if __name__ == "__main__":
    main()
