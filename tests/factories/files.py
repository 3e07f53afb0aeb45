"""In-memory document factories for tests: real PDFs, Office files and e-mails, built on the fly.

Nothing here reads from disk, so tests run the same in CI as on a laptop. Each factory returns
the file's bytes, deterministic for the same arguments where the underlying library allows it
(reportlab is run with ``invariant=1`` so two calls give identical PDFs).
"""

from __future__ import annotations

import textwrap
import zipfile
import zlib
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


# --- hostile files: bombs, cycles and traps, built in memory ---------------------------------


def with_zip_member(data: bytes, name: str, content: bytes) -> bytes:
    """The ZIP (an Office file) ``data`` with one more member, deflated at the highest level."""
    buffer = BytesIO(data)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(name, content)
    return buffer.getvalue()


def replace_zip_member(data: bytes, name: str, content: bytes) -> bytes:
    """The ZIP ``data`` with member ``name``'s content replaced (every other member kept)."""
    buffer = BytesIO()
    with (
        zipfile.ZipFile(BytesIO(data)) as source,
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, content if info.filename == name else source.read(info))
    return buffer.getvalue()


def declaring_unpacked_sizes(data: bytes, sizes: dict[str, int]) -> bytes:
    """The ZIP ``data`` with its central directory claiming that the named members unpack to
    ``sizes`` bytes: what a bomb's directory says, without the cost of building one."""
    buffer = BytesIO(data)
    archive = zipfile.ZipFile(buffer, "a")
    for info in archive.infolist():
        if info.filename in sizes:
            info.file_size = sizes[info.filename]
    archive._didModify = True  # rewrite the central directory on close
    archive.close()
    return buffer.getvalue()


def make_zip_bomb_docx(unpacked_mib: int = 64) -> bytes:
    """A Word document carrying a member of ``unpacked_mib`` MiB of zeros, which deflates
    about 1,000:1: a ZIP bomb disguised as a .docx."""
    docx = make_docx(["An ordinary looking contract."])
    return with_zip_member(docx, "word/media/image1.bin", bytes(unpacked_mib * 1024 * 1024))


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n'
    b"<!DOCTYPE lolz [\n"
    b' <!ENTITY lol "lol">\n'
    + b"".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b"]>\n"
)


def make_billion_laughs(kind: str) -> bytes:
    """A Word, PowerPoint or Excel file whose XML part holding the text declares the "billion
    laughs" entities (10^9 "lol"s if expanded) and uses the last one in place of the text."""
    if kind == "docx":
        data, part = make_docx(["Laughing."]), "word/document.xml"
    elif kind == "pptx":
        data, part = make_pptx(["Laughing."]), "ppt/slides/slide1.xml"
    else:
        data, part = make_xlsx({"Sheet": [["Laughing."]]}), "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(BytesIO(data)) as archive:
        xml = archive.read(part)
    body = xml.split(b"?>", 1)[1].lstrip() if xml.startswith(b"<?xml") else xml
    assert b"Laughing." in body
    return replace_zip_member(data, part, BILLION_LAUGHS + body.replace(b"Laughing.", b"&lol9;"))


def raw_pdf(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF made of ``objects`` (object ``i + 1`` is ``objects[i]``, the text between
    ``obj`` and ``endobj``), with a correct cross-reference table: lets a test shape the
    structure exactly, including structures no PDF writer would make."""
    out = BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(objects) + 1, root))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _stream(content: bytes, compress: bool = False) -> bytes:
    if compress:
        content = zlib.compress(content, 9)
        return (
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content)
            + content
            + (b"\nendstream")
        )
    return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_TEXT = b"BT /F1 12 Tf 72 720 Td (A page of a hostile PDF.) Tj ET"


def make_pdf_flate_bomb(unpacked_mib: int = 80) -> bytes:
    """A one-page PDF whose content stream inflates from ~80 KB to ``unpacked_mib`` MiB."""
    content = _TEXT + b" " * (unpacked_mib * 1024 * 1024)
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(content, compress=True),
            _FONT,
        ]
    )


def make_pdf_with_cyclic_page_tree() -> bytes:
    """A PDF whose page tree contains itself: /Pages lists its own node among its kids."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(_TEXT),
            _FONT,
        ]
    )


def make_pdf_with_cyclic_outline() -> bytes:
    """A one-page PDF whose outline (bookmarks) loops: each entry's /Next is the other."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(_TEXT),
            _FONT,
            b"<< /Type /Outlines /First 7 0 R /Last 8 0 R /Count 2 >>",
            b"<< /Title (One) /Parent 6 0 R /Next 8 0 R /First 7 0 R /Dest [3 0 R /Fit] >>",
            b"<< /Title (Two) /Parent 6 0 R /Next 7 0 R /Prev 7 0 R /Dest [3 0 R /Fit] >>",
        ]
    )


def make_pdf_with_deep_page_tree(depth: int = 5000) -> bytes:
    """A one-page PDF whose page sits ``depth`` levels down a chain of /Pages nodes."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    page = depth + 2
    for level in range(depth):
        number = level + 2
        kid = number + 1
        parent = b" /Parent %d 0 R" % (number - 1) if level else b""
        objects.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1%s >>" % (kid, parent))
    objects.append(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R"
        b" /Resources << /Font << /F1 %d 0 R >> >> >>" % (page - 1, page + 1, page + 2)
    )
    objects.append(_stream(_TEXT))
    objects.append(_FONT)
    return raw_pdf(objects)


def make_pdf_with_deeply_nested_content(depth: int = 100_000) -> bytes:
    """A one-page PDF whose content stream opens ``depth`` nested arrays."""
    content = _TEXT + b"\n" + b"[" * depth + b"]" * depth
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(content, compress=True),
            _FONT,
        ]
    )


HOSTILE_HTML = (
    b"<!DOCTYPE html><html><head><title>Invoice</title>"
    b"<script>document.write('SCRIPT-RAN'); fetch('http://127.0.0.1:9/steal')</script>"
    b"<style>body { background: url('http://127.0.0.1:9/bg.png') }</style>"
    b'<link rel="stylesheet" href="http://127.0.0.1:9/style.css"></head>'
    b'<body><p>Invoice total is 420 pounds.</p><img src="http://127.0.0.1:9/pixel.png">'
    b'<iframe src="http://127.0.0.1:9/frame"></iframe>'
    b"<p onclick=\"alert('ONCLICK-RAN')\">Pay within 30 days.</p></body></html>"
)


def make_hostile_eml() -> bytes:
    """An HTML e-mail with a script, a remote tracking image and a remote stylesheet."""
    message = EmailMessage()
    message["From"] = "mallory@example.com"
    message["To"] = "bob@example.com"
    message["Subject"] = "Your invoice"
    message["Date"] = "Mon, 02 Mar 2026 09:30:00 +0000"
    message.set_content("Invoice total is 420 pounds.")
    message.add_alternative(HOSTILE_HTML.decode(), subtype="html")
    return message.as_bytes()
