"""The file-type registry, sniff and the parsers agree: every registered type has a parser and
is recognised from its bytes, and sniff names no type the registry does not have."""

from __future__ import annotations

import ast
from pathlib import Path

from docproc.pipeline.ingest import sniff
from docproc.pipeline.ingest.file_types import FILE_TYPES
from docproc.pipeline.ingest.parse import PARSERS
from tests.factories.files import make_docx, make_eml, make_pptx, make_text_pdf, make_xlsx

# One file of each type, with a name that does not give its type away (but Markdown's must).
SAMPLES = {
    "pdf": (make_text_pdf(["Hello."]), "upload.bin"),
    "docx": (make_docx(["Hello."]), "upload.bin"),
    "pptx": (make_pptx(["Hello."]), "upload.bin"),
    "xlsx": (make_xlsx({"Sheet": [["Hello."]]}), "upload.bin"),
    "html": (b"<html><body><p>Hello.</p></body></html>", "upload.bin"),
    "eml": (make_eml("Greeting", "Hello."), "upload.bin"),
    "md": (b"# Greeting\n\nHello.\n", "upload.md"),
    "txt": (b"Hello.\n", "upload.bin"),
}


def test_every_registered_type_names_a_parser_that_exists():
    assert {name: t.parser for name, t in FILE_TYPES.items() if t.parser not in PARSERS} == {}


def test_every_parser_reads_some_registered_type():
    assert set(PARSERS) - {t.parser for t in FILE_TYPES.values()} == set()


def test_every_registered_type_is_recognised_from_its_bytes():
    detected = {
        name: sniff.detect_type(data, filename) for name, (data, filename) in SAMPLES.items()
    }

    assert set(SAMPLES) == set(FILE_TYPES)
    assert detected == {name: name for name in FILE_TYPES}


def returned_literals(value: ast.expr) -> set[str]:
    """The strings a ``return`` gives as they are (``"pdf"``, ``"md" if ... else "txt"``)."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return {value.value}
    if isinstance(value, ast.IfExp):
        return returned_literals(value.body) | returned_literals(value.orelse)
    return set()


def test_sniff_returns_only_registered_type_names():
    tree = ast.parse(Path(sniff.__file__).read_text())
    returned = {
        literal
        for node in ast.walk(tree)
        if isinstance(node, ast.Return) and node.value is not None
        for literal in returned_literals(node.value)
    }

    # Types read from a table (the OOXML main parts) are covered by the round trip above.
    assert returned - set(FILE_TYPES) == set()
    assert returned >= {"pdf", "md", "txt"}
