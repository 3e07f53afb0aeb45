"""Decide what kind of document some bytes are, from the bytes themselves.

The uploaded file name and the browser's content type are often wrong (a Word file saved as
``contract.pdf``), so the type is read from the content: magic numbers, ZIP members, e-mail
headers, HTML tags, text decodability. The name only decides Markdown versus plain text, which
the bytes cannot. Nothing here decompresses anything, so a ZIP bomb costs no more than its
central directory, and a file is read from disk in pieces (``detect_file_type``), never whole.
"""

from __future__ import annotations

import codecs
import logging
import re
import zipfile
from io import BytesIO
from typing import BinaryIO

from docproc.pipeline.ingest.file_types import FILE_TYPES, labels
from docproc.pipeline.types import UnsupportedDocumentError

logger = logging.getLogger(__name__)

ALLOWED_DESCRIPTION = labels()

# Acrobat accepts the header anywhere in the first 1024 bytes; we accept it after whitespace or
# a byte-order mark there (anything else before it is more likely a text file quoting "%PDF-").
_PDF_MAGIC = b"%PDF-"
_PDF_HEADER_WINDOW = 1024
_PDF_PREFIX_ALLOWED = re.compile(rb"\A(?:\xef\xbb\xbf|\xfe\xff|\xff\xfe|[\x00\s])*\Z")

_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# The main part of each OOXML type, as named by every producer we know of.
_OOXML_MAIN_PARTS = (
    ("word/document.xml", "docx"),
    ("ppt/presentation.xml", "pptx"),
    ("xl/workbook.xml", "xlsx"),
)

# Magic numbers of common files we do not accept, so the reason can name what was uploaded.
_KNOWN_BINARY = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy or password-protected Microsoft Office file"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "a program (ELF executable)"),
)

_EMAIL_WINDOW = 16 * 1024
# What is read of a file to tell its type (every window below fits in it).
HEAD_BYTES = _EMAIL_WINDOW
_TEXT_PIECE_BYTES = 1024 * 1024
_EMAIL_HEADER_LINE = re.compile(r"^[!-9;-~]+:")
_EMAIL_KNOWN_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "mime-version",
        "received",
        "message-id",
        "return-path",
        "delivered-to",
        "reply-to",
        "in-reply-to",
        "content-type",
    }
)
# From:/To:/Subject:/Date:/MIME-Version:/Received: are what make a header block an e-mail's.
_EMAIL_DEFINING_HEADERS = frozenset({"from", "to", "subject", "date", "mime-version", "received"})

_HTML_WINDOW = 1024
_HTML_MARKERS = ("<!doctype html", "<html", "<body")

# "Few control characters": more than 1 in 100 means binary, not text.
_MAX_CONTROL_RATIO = 0.01
_CONTROL_CHARS = re.compile(r"[\x01-\x08\x0e-\x1a\x1c-\x1f\x7f]")

_MARKDOWN_SUFFIXES = FILE_TYPES["md"].extensions


def detect_type(data: bytes, filename: str) -> str:
    """Return the document type of ``data``: a name in ``file_types.FILE_TYPES``.

    Raises UnsupportedDocumentError, with a reason a person can act on, for empty files and
    anything that is not one of the accepted types.
    """
    return detect_file_type(BytesIO(data), filename)


def detect_file_type(file: BinaryIO, filename: str) -> str:
    """``detect_type`` of a seekable binary file, reading only what it needs: the first
    ``HEAD_BYTES``, a ZIP's central directory (at the end), and for text the whole file in
    pieces of ``_TEXT_PIECE_BYTES``, so a 100 MB upload is never held in memory at once."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    if not head:
        raise UnsupportedDocumentError("The file is empty (0 bytes).")
    if _is_pdf(head):
        return "pdf"
    if head.startswith(_ZIP_MAGICS):
        return _zip_type(file)
    for magic, description in _KNOWN_BINARY:
        if head.startswith(magic):
            raise _not_supported(description)
    if _is_email(head[:_EMAIL_WINDOW]):
        return "eml"
    if _is_html(head):
        return "html"
    if _is_text_file(file):
        return "md" if filename.lower().endswith(_MARKDOWN_SUFFIXES) else "txt"
    raise _not_supported("binary data")


def _is_text_file(file: BinaryIO) -> bool:
    """``decode_text(whole file) is not None``, decoded piece by piece."""
    file.seek(0)
    first = file.read(_TEXT_PIECE_BYTES)
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        decoder = codecs.getincrementaldecoder("utf-16")()
    else:
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
    characters = controls = 0
    piece = first
    try:
        while True:
            final = len(piece) < _TEXT_PIECE_BYTES
            text = decoder.decode(piece, final=final)
            if "\x00" in text:
                return False
            characters += len(text)
            controls += len(_CONTROL_CHARS.findall(text))
            if final:
                break
            piece = file.read(_TEXT_PIECE_BYTES)
    except UnicodeDecodeError:
        return False
    return not characters or controls <= _MAX_CONTROL_RATIO * characters


def decode_text(data: bytes) -> str | None:
    """Decode ``data`` as text if it is text: UTF-8 (with or without a BOM) or UTF-16 with a
    BOM, containing no NUL and few control characters. None when it is not text.

    The parsers decode plain text with this same function, so detection and parsing agree.
    """
    text = _decode_unicode(data)
    if text is None or "\x00" in text:
        return None
    if text and len(_CONTROL_CHARS.findall(text)) > _MAX_CONTROL_RATIO * len(text):
        return None
    return text


def _decode_unicode(data: bytes) -> str | None:
    """UTF-16 if a UTF-16 BOM says so, else strict UTF-8 (a UTF-8 BOM is dropped)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _not_supported(detected: str) -> UnsupportedDocumentError:
    return UnsupportedDocumentError(
        f"This file is not a supported type (detected: {detected}; allowed: {ALLOWED_DESCRIPTION})."
    )


def _is_pdf(data: bytes) -> bool:
    position = data.find(_PDF_MAGIC, 0, _PDF_HEADER_WINDOW)
    return position >= 0 and _PDF_PREFIX_ALLOWED.match(data[:position]) is not None


def _zip_type(file: BinaryIO) -> str:
    """The OOXML type of a ZIP, from its member names (central directory only).

    A ZIP whose central directory is missing (a truncated upload) is typed from the member
    names in its local headers, so the parser can report the document as damaged.
    """
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except Exception as exc:  # zipfile raises BadZipFile, NotImplementedError, ValueError...
        logger.info("unreadable ZIP central directory (%r); scanning local headers", exc)
        return _damaged_zip_type(file)
    for main_part, file_type in _OOXML_MAIN_PARTS:
        if main_part in names:
            return file_type
    if "[Content_Types].xml" in names:
        raise _not_supported("an Office file other than Word, PowerPoint or Excel")
    raise _not_supported("a ZIP archive")


def _damaged_zip_type(file: BinaryIO) -> str:
    """The type whose main part's name appears first in the file, read in pieces that
    overlap by a name's length so a name across two pieces is still seen."""
    overlap = max(len(main_part) for main_part, _ in _OOXML_MAIN_PARTS)
    file.seek(0)
    tail = b""
    while piece := file.read(_TEXT_PIECE_BYTES):
        window = tail + piece
        for main_part, file_type in _OOXML_MAIN_PARTS:
            if main_part.encode() in window:
                return file_type
        tail = window[-overlap:]
    raise UnsupportedDocumentError(
        "The file is a damaged or truncated ZIP archive and could not be read."
    )


def _is_email(head: bytes) -> bool:
    """True when the file starts with an RFC 822 header block naming From/To/Subject/etc.

    Every line up to the first blank line must be a header or a folded continuation, and at
    least two of them must be headers that e-mails carry.
    """
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    if lines[0].startswith("From "):  # the mbox separator some mail clients save first
        lines = lines[1:]
    if not lines or not _EMAIL_HEADER_LINE.match(lines[0]):
        return False
    known: set[str] = set()
    for line in lines[:-1]:  # the last line may be cut by the window
        if not line.strip():
            break
        if line[0] in " \t":
            continue
        if not _EMAIL_HEADER_LINE.match(line):
            return False
        name = line.split(":", 1)[0].lower()
        if name in _EMAIL_KNOWN_HEADERS:
            known.add(name)
    return len(known) >= 2 and bool(known & _EMAIL_DEFINING_HEADERS)


def _is_html(head: bytes) -> bool:
    """True when the file starts with markup and an html/body tag or doctype appears near the
    start (a Markdown file mentioning ``<html>`` further down is not HTML)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.decode("latin-1")
    text = text.lstrip("\ufeff\xef\xbb\xbf \t\r\n")[:_HTML_WINDOW]
    if not text.startswith("<"):
        return False
    lowered = text.lower()
    return any(marker in lowered for marker in _HTML_MARKERS)
