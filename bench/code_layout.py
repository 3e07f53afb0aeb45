"""The shape of the code, measured: module sizes, import circles, upward imports, type-check
errors and the test count, for this checkout and (``--vs REV``) for an earlier commit side by side.

    .venv/bin/python bench/code_layout.py --vs 24b1188

The earlier commit is unpacked with ``git archive`` into a temporary folder and read the same way
(its import graph with today's layer table: a module the table does not place is not judged).
Type checking runs only where the checkout configures mypy; the test count is what pytest
collects there. Needs no database, Redis or model: nothing is imported from the code measured.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.import_graph import circles, graph, sources, upward_imports  # noqa: E402

LARGE_MODULE_LINES = 400


@dataclass
class Shape:
    modules: int
    lines: int
    median_lines: float
    largest: list[tuple[str, int]]
    over_large: int
    pipeline_folders: dict[str, int]
    circles: list[list[str]]
    upward: list[str]
    type_errors: str
    tests: str


def measure(root: Path) -> Shape:
    found = sources(root)
    sizes = {name: len(path.read_text().splitlines()) for name, path in found.items()}
    folders: dict[str, int] = {}
    for name, path in found.items():
        if name.startswith("docproc.pipeline."):
            folder = str(path.parent.relative_to(root))
            folders[folder] = folders.get(folder, 0) + 1
    edges = graph(root)
    return Shape(
        modules=len(sizes),
        lines=sum(sizes.values()),
        median_lines=statistics.median(sizes.values()),
        largest=sorted(sizes.items(), key=lambda item: -item[1])[:5],
        over_large=sum(1 for n in sizes.values() if n > LARGE_MODULE_LINES),
        pipeline_folders=dict(sorted(folders.items())),
        circles=circles(edges),
        upward=upward_imports(edges),
        type_errors=_type_errors(root),
        tests=_tests(root),
    )


def _type_errors(root: Path) -> str:
    if "[tool.mypy]" not in (root / "pyproject.toml").read_text():
        return "not checked"
    run = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=root, capture_output=True, text=True, check=False
    )
    last = (run.stdout.strip().splitlines() or ["?"])[-1]
    found = re.match(r"Found (\d+) errors?", last)
    return found.group(1) if found else ("0" if last.startswith("Success") else last)


def _tests(root: Path) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={"DOCPROC_BROWSER_TESTS": "true", "PATH": "/usr/bin:/bin"},
    )
    found = re.search(r"(\d+) tests? collected", run.stdout)
    return found.group(1) if found else "?"


def unpack(revision: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", revision], cwd=REPO, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def report(label: str, shape: Shape) -> None:
    print(f"== {label}")
    print(
        f"modules {shape.modules}, lines {shape.lines}, median lines a module "
        f"{shape.median_lines:.0f}, modules over {LARGE_MODULE_LINES} lines {shape.over_large}"
    )
    print("largest: " + ", ".join(f"{name} {lines}" for name, lines in shape.largest))
    print(
        "pipeline modules by folder: "
        + ", ".join(f"{k} {v}" for k, v in shape.pipeline_folders.items())
    )
    print(f"import circles {len(shape.circles)}: {shape.circles}")
    print(f"modules importing upward {len(shape.upward)}: {shape.upward}")
    print(f"type-check errors {shape.type_errors}; tests collected {shape.tests}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vs", metavar="REV", help="an earlier commit to measure beside this one")
    args = parser.parse_args()
    if args.vs:
        with tempfile.TemporaryDirectory(prefix="docproc-layout-") as folder:
            before = measure(unpack(args.vs, Path(folder)))
        report(f"before ({args.vs})", before)
    now = measure(REPO)
    report("now (this checkout)", now)


if __name__ == "__main__":
    main()
