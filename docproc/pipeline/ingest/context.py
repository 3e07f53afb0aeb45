"""Contextual headers: what a passage is about that its own words do not say.

A passage cut from page 64 of an annual report reads "Net revenues 4,489 3,812 ..." and names
neither the company, nor the period, nor the statement it belongs to, nor what its columns
mean. Questions name all of them ("What was Adobe's FY2016 net revenue?"), so a passage that
holds the answer is found only when that context is indexed with it. Two headers are derived
here, both from the document itself and both kept apart from the document text (they are
indexed for search and never shown or cited as a quote):

- the **document context**: its title, the organisation and form it names on its first page,
  the period it covers, and its file name, in words ("BEST BUY CO., INC. · FORM 10-K · fiscal
  year ended January 28, 2023 · FY2023 · BESTBUY 2023 10K");
- each chunk's **section context**: the heading it falls under (carried across pages, running
  headers repeated on most pages ignored) and, for rows of a table, the table's column header
  ("Fiscal Years Ended January 28, 2023 January 29, 2022 ...").

Pure functions of the parsed pages: deterministic, so re-running ingestion gives the same
headers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from docproc.pipeline.ingest.parse.blocks import looks_like_heading
from docproc.pipeline.types import PageSpan, PageText

MAX_DOCUMENT_CONTEXT_CHARS = 300
MAX_SECTION_CONTEXT_CHARS = 200
# Only the start of a document says what it is (cover page, title, parties).
_OPENING_CHARS = 4000
# A line on at least this share of pages (and on 3 or more) is a running header or footer.
_RUNNING_LINE_SHARE = 0.3

_FORM = re.compile(
    r"\bFORM\s+(10-K|10-Q|8-K|20-F|40-F|6-K|S-1|S-4|DEF\s*14A|11-K)\b", re.IGNORECASE
)
_PERIOD = re.compile(
    r"\bfor\s+the\s+(fiscal\s+year|year|quarterly\s+period|quarter|(?:three|six|nine|twelve)"
    r"\s+months|period)\s+ended\s*:?\s*([A-Z][a-z]+\.?\s+\d{1,2},\s*\d{4})",
    re.IGNORECASE,
)
_REPORT_DATE = re.compile(
    r"date\s+of\s+report[^\n]*?:?\s*\n?\s*([A-Z][a-z]+\.?\s+\d{1,2},\s*\d{4})", re.IGNORECASE
)
_REGISTRANT = re.compile(r"\(\s*exact\s+name\s+of\s+registrant", re.IGNORECASE)
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_NUMBER_CELL = re.compile(r"\(?-?\$?\s?\d[\d,]*(?:\.\d+)?\)?%?")
_BOILERPLATE_LINE = re.compile(
    r"^(?:united states|securities and exchange commission|washington,? d\.?c\.?.*|"
    r"page \d+( of \d+)?|exhibit [\d.]+|table of contents|index|\(mark one\)|or)$",
    re.IGNORECASE,
)
_FILENAME_SEPARATORS = re.compile(r"[_\-.\s]+")


def document_context(filename: str, pages: Sequence[PageText], title: str = "") -> str:
    """A one-line description of the document from its opening text, its metadata ``title``
    and its ``filename``; at most ``MAX_DOCUMENT_CONTEXT_CHARS`` characters."""
    opening = _opening_text(pages)
    parts: list[str] = []
    registrant = _registrant(opening)
    if registrant:
        parts.append(registrant)
    form = _FORM.search(opening)
    if form:
        parts.append("FORM " + " ".join(form.group(1).upper().split()))
    period = _PERIOD.search(opening)
    if period:
        kind = " ".join(period.group(1).lower().split())
        date = " ".join(period.group(2).split())
        parts.append(f"{kind} ended {date}")
        year = _YEAR.search(date)
        if year and "year" in kind:
            parts.append(f"FY{year.group(0)}")
    else:
        reported = _REPORT_DATE.search(opening)
        if reported:
            parts.append("report dated " + " ".join(reported.group(1).split()))
    heading = _opening_title(opening)
    if heading and not any(heading.lower() in part.lower() for part in parts):
        parts.append(heading)
    if _describes(title):
        parts.append(" ".join(title.split()))
    stem = filename_words(filename)
    if stem:
        parts.append(stem)
    return _joined(parts, MAX_DOCUMENT_CONTEXT_CHARS)


def filename_words(filename: str) -> str:
    """A file name as words ("BESTBUY_2023_10K.pdf" -> "BESTBUY 2023 10K")."""
    return _FILENAME_SEPARATORS.sub(" ", filename.rsplit(".", 1)[0]).strip()


def describes(context: str, filename: str) -> bool:
    """Whether a document context says more than the file name: only then is it worth a
    vector (a bare "scan 0042" or "pubmed 21645374" would add noise to every score)."""
    return bool(context) and context != filename_words(filename)


def section_contexts(pages: Sequence[PageText], chunks: Sequence[PageSpan]) -> list[str]:
    """Each chunk's section context (same order as ``chunks``): the heading it falls under
    and, when the chunk starts inside a table, the table's column header line."""
    running = _running_lines(pages)
    by_number = {page.number: page for page in pages}
    headings = _headings_by_page(pages, running)
    contexts = []
    carried = ""
    last_page = None
    for chunk in chunks:
        if chunk.page != last_page:
            # The heading in force at the top of this page: the last one of earlier pages.
            carried = _last_heading_before_page(headings, chunk.page) or ""
            last_page = chunk.page
        heading = carried
        for start, text in headings.get(chunk.page, ()):
            if start <= chunk.char_start:
                heading = text
        page = by_number.get(chunk.page)
        header = _column_header(page, chunk.char_start) if page is not None else ""
        parts = [heading] if heading else []
        if header and header != heading:
            parts.append(header)
        contexts.append(_joined(parts, MAX_SECTION_CONTEXT_CHARS))
    return contexts


def indexed_text(document: str, section: str, text: str) -> str:
    """What lexical search indexes for a chunk: its headers, then its own text."""
    return "\n".join(part for part in (document, section, text) if part)


# --- document context ------------------------------------------------------------------------


def _opening_text(pages: Sequence[PageText]) -> str:
    text = ""
    for page in pages:
        if len(text) >= _OPENING_CHARS:
            break
        if page.text:
            text += page.text + "\n"
    return text[:_OPENING_CHARS]


def _registrant(opening: str) -> str:
    """The registrant's name on an SEC cover page: the line above "(Exact name of registrant
    as specified in its charter)"."""
    match = _REGISTRANT.search(opening)
    if not match:
        return ""
    before = opening[: match.start()].rstrip().split("\n")
    for line in reversed(before[-3:]):
        line = " ".join(line.split())
        if line and any(c.isalpha() for c in line) and not _BOILERPLATE_LINE.match(line):
            return line[:120]
    return ""


def _opening_title(opening: str) -> str:
    """The first title-like line of the document that is not cover-page boilerplate."""
    for line in opening.split("\n")[:40]:
        line = " ".join(line.split())
        if len(line.split()) < 2 or _BOILERPLATE_LINE.match(line):
            continue
        # A table's first row ("Other | 44.1 | 56.7", "Total $ 302 $ 148") names no document;
        # taken as a title it routed questions to whichever report's table began alike.
        if "|" in line or _is_table_row(line):
            continue
        if looks_like_heading(line) or (line.isupper() and len(line) <= 120):
            return line[:120]
    return ""


def _describes(title: str) -> bool:
    """Whether a metadata title says something (not an accession number or a file name)."""
    words = [w for w in re.findall(r"[A-Za-z]{2,}", title or "")]
    return len(words) >= 2 and not re.search(r"\.(docx?|pdf|xlsx?|pptx?)$", title, re.I)


# --- section context -------------------------------------------------------------------------


def _running_lines(pages: Sequence[PageText]) -> frozenset[str]:
    """Lines repeated on many pages: running headers and footers, never a section heading."""
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({" ".join(line.split()).lower() for line in page.text.split("\n")})
    least = max(3, int(len(pages) * _RUNNING_LINE_SHARE))
    return frozenset(line for line, n in counts.items() if n >= least and line)


def _headings_by_page(
    pages: Sequence[PageText], running: frozenset[str]
) -> dict[int, list[tuple[int, str]]]:
    headings: dict[int, list[tuple[int, str]]] = {}
    for page in pages:
        for block in page.blocks:
            if block.kind != "heading":
                continue
            text = " ".join(page.text[block.char_start : block.char_end].split())
            if text.lower() in running or _BOILERPLATE_LINE.match(text) or _is_numeric(text):
                continue
            if _is_table_row(text):  # "Diluted EPS $ 6.29 $ 9.84" reads as Title Case
                continue
            headings.setdefault(page.number, []).append((block.char_start, text))
    return headings


def _last_heading_before_page(headings: dict[int, list[tuple[int, str]]], number: int) -> str:
    earlier = [n for n in headings if n < number]
    return headings[max(earlier)][-1][1] if earlier else ""


def _column_header(page: PageText, offset: int) -> str:
    """The column header of the table the text at ``offset`` belongs to, if it is in a table:
    the first row of a table block (office formats mark their tables), else, for a row of
    figures, the nearest line above that names periods or columns, not figures."""
    text = page.text
    for block in page.blocks:
        if block.kind == "table" and block.char_start <= offset < block.char_end:
            return _table_block_header(text, block.char_start, block.char_end, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    if not _is_table_row(line):
        return ""
    position = line_start - 1
    for _ in range(40):  # a table's header sits within a screenful of lines above
        if position <= 0:
            return ""
        above_start = text.rfind("\n", 0, position) + 1
        above = " ".join(text[above_start:position].split())
        position = above_start - 1
        if not above:
            continue
        # Before the row test: "January 28, 2023 January 29, 2022" has figures too.
        if len(_YEAR.findall(above)) >= 2 or re.search(r"\b(ended|as of)\b", above, re.I):
            return above[:MAX_SECTION_CONTEXT_CHARS]
    return ""


def _table_block_header(text: str, start: int, end: int, offset: int) -> str:
    """A marked table's header: its leading rows up to the first row of figures (at most
    three), unless ``offset`` is within them (the chunk then holds the header itself)."""
    rows: list[str] = []
    position = start
    while position < end and len(rows) < 3:
        line_end = text.find("\n", position, end)
        line_end = end if line_end < 0 else line_end
        line = text[position:line_end]
        if _is_table_row(line):
            break
        if offset < line_end:
            return ""
        cells = " ".join(c.strip() for c in line.split("|") if c.strip())
        if cells:
            rows.append(cells)
        position = line_end + 1
    return " · ".join(rows)[:MAX_SECTION_CONTEXT_CHARS]


def _is_table_row(line: str) -> bool:
    """A line of a table: a label followed by two or more figures (years alone are headers)."""
    cells = [c for c in _NUMBER_CELL.findall(line) if re.search(r"\d", c)]
    figures = [c for c in cells if not _YEAR.fullmatch(c.strip("()$ "))]
    return len(figures) >= 2


def _is_numeric(text: str) -> bool:
    return sum(c.isalpha() for c in text) < 3


def _joined(parts: Sequence[str], limit: int) -> str:
    seen: list[str] = []
    for part in parts:
        part = part.strip(" ·")
        if part and part.lower() not in (s.lower() for s in seen):
            seen.append(part)
    text = " · ".join(seen)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
