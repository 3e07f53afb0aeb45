"""Word, PowerPoint, Excel, HTML, e-mail, Markdown and text through the office parser, offline."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from email.message import EmailMessage

import pytest

from docproc.pipeline.ingest.file_types import FILE_TYPES
from docproc.pipeline.ingest.parse import parse_document
from docproc.pipeline.ingest.parse.office import parse_office
from docproc.pipeline.types import PageText, UnsupportedDocumentError
from tests.factories.files import make_docx, make_eml, make_pptx, make_xlsx, truncate
from tests.support.paths import REPO


def block_texts(page: PageText) -> list[tuple[str, str]]:
    return [(b.kind, page.text[b.char_start : b.char_end]) for b in page.blocks]


def test_word_heading_and_paragraphs_become_blocks_of_one_page():
    data = make_docx(
        ["The patient was admitted with chest pain.", "An ECG showed sinus rhythm."],
        heading="Admission Summary",
    )

    parsed = parse_office(data, "docx", "summary.docx")

    assert [page.number for page in parsed.pages] == [1]
    assert parsed.pages[0].text == (
        "Admission Summary\n\n"
        "The patient was admitted with chest pain.\n\n"
        "An ECG showed sinus rhythm."
    )
    assert block_texts(parsed.pages[0]) == [
        ("heading", "Admission Summary"),
        ("paragraph", "The patient was admitted with chest pain."),
        ("paragraph", "An ECG showed sinus rhythm."),
    ]


def test_each_slide_is_a_page_and_an_empty_slide_keeps_its_number():
    data = make_pptx(
        ["Revenue grew five percent.", "", "Costs fell two percent."],
        titles=["Results", "Intermission", "Costs"],
    )

    parsed = parse_office(data, "pptx", "deck.pptx")

    assert [(page.number, page.text) for page in parsed.pages] == [
        (1, "Results\n\nRevenue grew five percent."),
        (2, "Intermission"),
        (3, "Costs\n\nCosts fell two percent."),
    ]


def test_slide_text_that_ends_a_sentence_is_a_paragraph_not_a_heading():
    parsed = parse_office(make_pptx(["Revenue grew five percent."], ["Results"]), "pptx", "d")

    assert block_texts(parsed.pages[0]) == [
        ("heading", "Results"),
        ("paragraph", "Revenue grew five percent."),
    ]


def test_each_sheet_is_a_page_with_its_rows_as_a_table():
    data = make_xlsx(
        {
            "Fees": [["Item", "Amount"], ["Retainer", 5000], ["Hourly rate", 350]],
            "Empty": [],
            "Notes": [["Invoices are due in thirty days."]],
        }
    )

    parsed = parse_office(data, "xlsx", "fees.xlsx")

    assert [page.text for page in parsed.pages] == [
        "Item | Amount\nRetainer | 5000\nHourly rate | 350",
        "",
        "Invoices are due in thirty days.",
    ]
    assert block_texts(parsed.pages[0]) == [
        ("table", "Item | Amount\nRetainer | 5000\nHourly rate | 350")
    ]


def test_html_headings_lists_and_tables_become_blocks():
    data = (
        b"<!doctype html><html><head><title>Ignored</title><script>var x = 1;</script></head>"
        b"<body><h1>Discharge Summary</h1><p>The patient recovered well.</p>"
        b"<ul><li>Aspirin daily</li></ul>"
        b"<table><tr><th>Test</th><th>Result</th></tr><tr><td>CRP</td><td>4</td></tr></table>"
        b"</body></html>"
    )

    parsed = parse_office(data, "html", "summary.html")

    assert block_texts(parsed.pages[0]) == [
        ("heading", "Discharge Summary"),
        ("paragraph", "The patient recovered well."),
        ("list_item", "Aspirin daily"),
        ("table", "Test | Result\nCRP | 4"),
    ]


def test_email_subject_and_headers_come_before_the_body():
    data = make_eml("Settlement offer", "We accept the offer of 40,000 dollars.")

    parsed = parse_office(data, "eml", "offer.eml")

    assert block_texts(parsed.pages[0]) == [
        ("heading", "Settlement offer"),
        (
            "paragraph",
            "From: alice@example.com\nTo: bob@example.com\nDate: Mon, 02 Mar 2026 09:30:00 +0000",
        ),
        ("paragraph", "We accept the offer of 40,000 dollars."),
    ]


def test_email_saved_with_an_mbox_from_line_keeps_its_subject():
    data = b"From - Mon Mar  2 09:30:00 2026\n" + make_eml("Settlement offer", "Agreed.")

    parsed = parse_office(data, "eml", "offer.eml")

    assert block_texts(parsed.pages[0])[0] == ("heading", "Settlement offer")


def test_email_attachments_are_named_in_a_warning():
    message = EmailMessage()
    message["From"] = "alice@example.com"
    message["To"] = "bob@example.com"
    message["Subject"] = "Signed copy"
    message.set_content("The signed copy is attached.")
    message.add_attachment(b"%PDF-1.7", maintype="application", subtype="pdf", filename="s.pdf")

    parsed = parse_office(message.as_bytes(), "eml", "signed.eml")

    assert "The signed copy is attached." in parsed.pages[0].text
    assert parsed.warnings == (
        "attachment 's.pdf' was not processed; upload it on its own to search it",
    )


def test_markdown_headings_become_heading_blocks():
    data = b"# Terms of Engagement\n\nFees are billed monthly.\n\n## Scope\n\n- Advice\n- Filing\n"

    parsed = parse_office(data, "md", "terms.md")

    assert block_texts(parsed.pages[0]) == [
        ("heading", "Terms of Engagement"),
        ("paragraph", "Fees are billed monthly."),
        ("heading", "Scope"),
        ("list_item", "Advice"),
        ("list_item", "Filing"),
    ]


def test_plain_text_is_kept_as_written_with_paragraph_blocks():
    data = b"DISCHARGE SUMMARY\r\n\r\nAdmitted with\r\npneumonia.  \r\n\r\nSent home.\r\n"

    parsed = parse_office(data, "txt", "summary.txt")

    assert parsed.pages[0].text == ("DISCHARGE SUMMARY\n\nAdmitted with\npneumonia.\n\nSent home.")
    assert block_texts(parsed.pages[0]) == [
        ("heading", "DISCHARGE SUMMARY"),
        ("paragraph", "Admitted with\npneumonia."),
        ("paragraph", "Sent home."),
    ]


def test_form_feed_in_plain_text_starts_a_new_page():
    parsed = parse_office(b"Page one.\fPage two.\f", "txt", "print.txt")

    assert [(page.number, page.text) for page in parsed.pages] == [
        (1, "Page one."),
        (2, "Page two."),
    ]


def test_truncated_word_document_is_reported_as_damaged():
    data = make_docx(["Cut short."])

    with pytest.raises(UnsupportedDocumentError) as caught:
        parse_office(truncate(data, len(data) // 2), "docx", "cut.docx")

    assert caught.value.reason.startswith(
        "The Word document is damaged or truncated and could not be read: "
    )


def test_word_document_without_text_has_nothing_to_extract():
    with pytest.raises(UnsupportedDocumentError) as caught:
        parse_office(make_docx([]), "docx", "blank.docx")

    assert caught.value.reason == "No text could be extracted from this document."


def test_office_file_that_unpacks_past_the_limit_is_refused(monkeypatch):
    xlsx = replace(FILE_TYPES["xlsx"], max_unpacked_bytes=1024 * 1024)
    monkeypatch.setitem(FILE_TYPES, "xlsx", xlsx)
    data = make_xlsx({"Big": [["x" * 1000] for _ in range(2000)]})

    with pytest.raises(UnsupportedDocumentError) as caught:
        parse_office(data, "xlsx", "big.xlsx")

    assert caught.value.reason.endswith("more than the limit of 1 MB; it may be a ZIP bomb.")
    assert caught.value.reason.startswith("The Excel workbook unpacks to ")


def test_parse_document_applies_the_page_limit_to_office_documents():
    data = make_pptx(["One.", "Two.", "Three."])

    with pytest.raises(UnsupportedDocumentError) as caught:
        parse_document(data, "pptx", "deck.pptx", max_pages=2)

    assert caught.value.reason == "The document has 3 pages, more than the limit of 2 pages."


OFFLINE_SCRIPT = r"""
import json, socket, subprocess
attempts = []
def refuse(*args, **kwargs):
    attempts.append(repr(args[:2]))
    raise OSError("network disabled in this test")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
real_popen_init = subprocess.Popen.__init__
def record_popen(self, args, *rest, **kwargs):
    attempts.append("exec " + repr(args))
    return real_popen_init(self, args, *rest, **kwargs)
subprocess.Popen.__init__ = record_popen

from docproc.pipeline.ingest.parse.office import parse_office
from tests.factories.files import make_docx, make_eml, make_pptx, make_xlsx
samples = {
    "docx": make_docx(["The quick brown fox jumps over the lazy dog."], heading="Title"),
    "pptx": make_pptx(["The quick brown fox jumps over the lazy dog."], ["Title"]),
    "xlsx": make_xlsx({"Sheet": [["The quick brown fox jumps over the lazy dog."]]}),
    "html": b"<html><body><p>The quick brown fox jumps over the lazy dog.</p></body></html>",
    "eml": make_eml("Fox", "The quick brown fox jumps over the lazy dog."),
    "md": b"# Title\n\nThe quick brown fox jumps over the lazy dog.\n",
    "txt": b"The quick brown fox jumps over the lazy dog.\n",
}
texts = {kind: parse_office(data, kind, "f").pages[0].text for kind, data in samples.items()}
print(json.dumps({"attempts": attempts, "texts": texts}))
"""


def test_office_parsing_never_touches_the_network_or_runs_programs():
    """In a fresh process (so unstructured is imported under observation), with every socket
    refused: no connection, no download of the spaCy model, no nvidia-smi."""
    result = subprocess.run(
        [sys.executable, "-c", OFFLINE_SCRIPT],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["attempts"] == []
    assert sorted(kind for kind, text in report["texts"].items() if "quick brown fox" in text) == [
        "docx",
        "eml",
        "html",
        "md",
        "pptx",
        "txt",
        "xlsx",
    ]
