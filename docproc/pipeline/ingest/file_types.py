"""The file types docproc accepts: one entry each in ``FILE_TYPES``, the only list of them.

Everything else is derived from it: the types ``sniff.detect_type`` may name and the "allowed:"
list in its refusals, the parser ``parse.parse_document`` runs (``FileType.parser`` names one
in ``parse.PARSERS``), the labels in reasons and on the upload form, the media type an original
is served as (and the API schema lists), and the default of ``DOCPROC_ALLOWED_TYPES`` (every
type here). To add a type: an entry here, the bytes that identify it in ``sniff.detect_type``,
and a parser if none reads it yet (ARCHITECTURE.md, "How to add").

Limits that apply to every type (``DOCPROC_MAX_UPLOAD_BYTES``, ``DOCPROC_MAX_PAGES``) are
settings; a limit only some types have is a field here.
"""

from __future__ import annotations

from dataclasses import dataclass

# An OOXML file is a ZIP; one whose members would unpack to more than this is refused (lxml
# needs several times a part's size to parse it, so more could never be parsed within the
# parse memory limit, DOCPROC_PARSE_MEMORY_MB). parse/ooxml_safety.py has the other limits.
OOXML_MAX_UNPACKED_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class FileType:
    name: str  # stored as ``Document.file_type``: never rename one
    label: str  # in a list of types: "Word"
    document_name: str  # in a sentence about one file: "The Word document is damaged ..."
    content_type: str  # the media type the original is served as
    extensions: tuple[str, ...]  # only Markdown's decide anything (text with them is Markdown)
    parser: str  # the key of its parser in ``parse.PARSERS``
    max_unpacked_bytes: int | None = None  # ZIP containers: the most their members may unpack to


# In this order in every list of types ("allowed: PDF, Word, ...").
_ENTRIES = (
    FileType(
        name="pdf",
        label="PDF",
        document_name="PDF",
        content_type="application/pdf",
        extensions=(".pdf",),
        parser="pdf",
    ),
    FileType(
        name="docx",
        label="Word",
        document_name="Word document",
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        extensions=(".docx",),
        parser="office",
        max_unpacked_bytes=OOXML_MAX_UNPACKED_BYTES,
    ),
    FileType(
        name="pptx",
        label="PowerPoint",
        document_name="PowerPoint presentation",
        content_type="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        extensions=(".pptx",),
        parser="office",
        max_unpacked_bytes=OOXML_MAX_UNPACKED_BYTES,
    ),
    FileType(
        name="xlsx",
        label="Excel",
        document_name="Excel workbook",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        extensions=(".xlsx",),
        parser="office",
        max_unpacked_bytes=OOXML_MAX_UNPACKED_BYTES,
    ),
    FileType(
        name="html",
        label="HTML",
        document_name="HTML page",
        content_type="text/html",
        extensions=(".html", ".htm"),
        parser="office",
    ),
    FileType(
        name="eml",
        label="e-mail",
        document_name="e-mail",
        content_type="message/rfc822",
        extensions=(".eml",),
        parser="office",
    ),
    FileType(
        name="md",
        label="Markdown",
        document_name="Markdown file",
        content_type="text/markdown",
        extensions=(".md", ".markdown"),
        parser="office",
    ),
    FileType(
        name="txt",
        label="plain text",
        document_name="text file",
        content_type="text/plain",
        extensions=(".txt",),
        parser="office",
    ),
)
FILE_TYPES: dict[str, FileType] = {file_type.name: file_type for file_type in _ENTRIES}

# What an original of no known type is served as.
UNKNOWN_CONTENT_TYPE = "application/octet-stream"


def label(name: str) -> str:
    """The label of the type called ``name`` ("Word"), or the name itself if none is."""
    file_type = FILE_TYPES.get(name)
    return file_type.label if file_type is not None else name


def content_type(name: str) -> str:
    """The media type a file of type ``name`` is served as."""
    file_type = FILE_TYPES.get(name)
    return file_type.content_type if file_type is not None else UNKNOWN_CONTENT_TYPE


def labels(last_separator: str = ", ") -> str:
    """Every type's label, in order: "PDF, Word, ..., Markdown, plain text" (or "... Markdown
    or plain text" with ``last_separator=" or "``)."""
    *rest, last = (file_type.label for file_type in FILE_TYPES.values())
    return ", ".join(rest) + last_separator + last if rest else last
