"""In-memory document factories for tests: real PDFs, Office files and e-mails, built on the fly.

Nothing here reads from disk, so tests run the same in CI as on a laptop. Each factory returns
the file's bytes, deterministic for the same arguments where the underlying library allows it
(reportlab is run with ``invariant=1`` so two calls give identical PDFs).
"""

from __future__ import annotations

import textwrap
from email.message import EmailMessage
from io import BytesIO

from docx import Document as DocxDocument
from openpyxl import Workbook
from PIL import Image, ImageDraw, ImageFont
from pptx import Presentation
from pptx.util import Inches
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas

# Letter page, 1-inch margins, 11 pt Helvetica: a line holds about 90 characters.
_PDF_FONT = "Helvetica"
_PDF_FONT_SIZE = 11
_PDF_LEADING = 14
_PDF_MARGIN = 72
_PDF_WRAP_CHARS = 90


def make_text_pdf(pages: list[str]) -> bytes:
    """A PDF with a real text layer: one page per string.

    Within a page string, paragraphs are separated by a blank line ("\\n\\n"); each paragraph
    is wrapped at word boundaries to about 90 characters a line, so a long sentence may span
    lines in the extracted text. Keep a sentence you assert on shorter than a line.
    """
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, invariant=1)
    _, height = LETTER
    for page in pages:
        canvas.setFont(_PDF_FONT, _PDF_FONT_SIZE)
        y = height - _PDF_MARGIN
        for paragraph in page.split("\n\n"):
            for line in textwrap.wrap(paragraph, _PDF_WRAP_CHARS) or [""]:
                canvas.drawString(_PDF_MARGIN, y, line)
                y -= _PDF_LEADING
            y -= _PDF_LEADING  # a blank line between paragraphs
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def make_encrypted_pdf(pages: list[str], user_password: str) -> bytes:
    """``make_text_pdf(pages)`` encrypted with AES-256; ``user_password`` opens it."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(make_text_pdf(pages))))
    writer.encrypt(user_password=user_password, owner_password=None, algorithm="AES-256")
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_scanned_pdf(text: str) -> bytes:
    """A one-page PDF whose only content is a picture of ``text`` (no text layer), as a scanner
    makes. The text is drawn large and black on white so Tesseract reads it reliably."""
    dpi = 150
    image = Image.new("L", (int(8.5 * dpi), 11 * dpi), color=255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=40)
    y = dpi
    for line in textwrap.wrap(text, 40):
        draw.text((dpi, y), line, fill=0, font=font)
        y += 60
    buffer = BytesIO()
    image.save(buffer, format="PDF", resolution=float(dpi))
    return buffer.getvalue()


def make_docx(paragraphs: list[str], heading: str | None = None) -> bytes:
    """A Word document: an optional level-1 heading, then one paragraph per string."""
    document = DocxDocument()
    if heading is not None:
        document.add_heading(heading, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_pptx(slides: list[str], titles: list[str] | None = None) -> bytes:
    """A PowerPoint deck with one slide per string (the slide's body text), each optionally
    titled by the matching entry of ``titles``."""
    presentation = Presentation()
    layout = presentation.slide_layouts[1]  # "Title and Content"
    for index, body in enumerate(slides):
        slide = presentation.slides.add_slide(layout)
        if titles is not None:
            slide.shapes.title.text = titles[index]
        else:
            slide.shapes.title.element.getparent().remove(slide.shapes.title.element)
        placeholder = slide.placeholders[1]
        placeholder.text_frame.text = body
        placeholder.left, placeholder.top = Inches(1), Inches(2)
    buffer = BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def make_xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    """An Excel workbook: one worksheet per entry, named by the key, holding the rows given."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(title=name)
        for row in rows:
            sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_eml(
    subject: str, body: str, sender: str = "alice@example.com", to: str = "bob@example.com"
) -> bytes:
    """A plain-text RFC 822 e-mail with the usual headers."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Mon, 02 Mar 2026 09:30:00 +0000"
    message["Message-ID"] = "<test-1@example.com>"
    message.set_content(body)
    return message.as_bytes()


def truncate(data: bytes, n: int) -> bytes:
    """The first ``n`` bytes of ``data``: a file cut short, as an interrupted upload leaves it."""
    return data[:n]
