"""Coverage-guided fuzzing (atheris, libFuzzer) of type sniffing and parsing.

Each input goes through ``sniff.detect_type`` and, when that names a type, ``parse_document``
(OCR off, 50 pages at most), as an upload would. Refusals with a reason (DocumentError) are the
expected outcome for junk; anything else raised is a crash: it is counted, its first line
printed, and the input saved under the output directory, and fuzzing goes on. The corpus
starts from one small valid file of each type (tests/factories/files.py). pypdf and docproc's
own code are instrumented, so mutations that reach new code are
kept. Prints executions, crashes and distinct crash kinds.

    .venv/bin/python bench/fuzz_parsers.py --runs 20000 [--out /tmp/fuzz]
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import atheris

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Imported here, not on first use as the parsers do, so that they are instrumented.
with atheris.instrument_imports(include=["docproc", "pypdf"]):
    import docproc.pipeline.ingest.parse.ooxml_safety
    import docproc.pipeline.ingest.parse.pdf  # noqa: F401  (and pypdf with it)
    from docproc.pipeline.ingest.parse import parse_document
    from docproc.pipeline.ingest.sniff import detect_type
    from docproc.pipeline.types import DocumentError

executions = 0
wanted_runs = 20_000
crashes: Counter[str] = Counter()
started = time.monotonic()
out_dir = Path(tempfile.gettempdir()) / "docproc-fuzz"


def one_input(data: bytes) -> None:
    global executions
    executions += 1
    if executions > wanted_runs:  # libFuzzer exits without running atexit handlers
        report()
        os._exit(1 if crashes else 0)
    try:
        file_type = detect_type(data, "fuzzed.md")
        parse_document(data, file_type, "fuzzed", max_pages=50, ocr=None)
    except DocumentError:
        pass
    except RecursionError:  # pypdf on deep nesting: the parser turns it into a page warning
        crashes["RecursionError"] += 1
        _save(data, "RecursionError")
    except Exception as exc:
        kind = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"
        if not crashes[kind]:
            print(f"crash: {kind}", flush=True)
        crashes[kind] += 1
        _save(data, type(exc).__name__)


def _save(data: bytes, kind: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{kind}-{hashlib.sha256(data).hexdigest()[:16]}").write_bytes(data)


def seed_corpus(directory: Path) -> None:
    from tests.factories import files

    directory.mkdir(parents=True, exist_ok=True)
    seeds = {
        "text.pdf": files.make_text_pdf(["A short page.", "Another page."]),
        "cyclic.pdf": files.make_pdf_with_cyclic_outline(),
        "small.docx": files.make_docx(["A paragraph."], heading="Heading"),
        "small.html": b"<html><body><h1>Title</h1><p>Text &amp; more.</p></body></html>",
        "small.eml": files.make_eml("Subject", "Body text."),
        "small.md": b"# Heading\n\n- item one\n- item two\n\nText.\n",
        "small.txt": b"Plain text.\n",
    }
    for name, data in seeds.items():
        (directory / name).write_bytes(data)


def report() -> None:
    seconds = time.monotonic() - started
    total = sum(crashes.values())
    print(
        f"{executions} executions in {seconds:.0f} s ({executions / max(seconds, 1e-9):.0f}/s), "
        f"{total} crashes ({len(crashes)} kinds)"
        + (f"; inputs saved in {out_dir}" if total else "")
    )
    for kind, count in crashes.most_common():
        print(f"  {count:6d}  {kind}")


def main() -> None:
    global out_dir, wanted_runs
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=out_dir)
    parser.add_argument("--max-len", type=int, default=64 * 1024)
    args = parser.parse_args()
    out_dir = args.out
    wanted_runs = args.runs
    logging.disable(logging.CRITICAL)  # pypdf logs every oddity of every mutated PDF
    corpus = Path(tempfile.mkdtemp(prefix="docproc-fuzz-corpus-"))
    seed_corpus(corpus)
    out_dir.mkdir(parents=True, exist_ok=True)
    libfuzzer = [
        sys.argv[0],
        f"-runs={args.runs * 2 + 100}",  # the seeds and re-runs count too; we stop at --runs
        f"-max_len={args.max_len}",
        "-timeout=30",
        "-print_final_stats=0",
        f"-artifact_prefix={out_dir}/",  # libFuzzer's own finds (slow inputs), not the cwd
        str(corpus),
    ]
    atheris.Setup(libfuzzer, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
