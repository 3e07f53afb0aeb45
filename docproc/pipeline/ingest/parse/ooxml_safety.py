"""Refuse Office files (ZIP containers of XML) built to exhaust the parser, before parsing.

Word, PowerPoint and Excel files are ZIP archives of XML parts. Two tricks make a small upload
cost gigabytes: a ZIP bomb (parts that inflate a thousandfold) and an XML entity bomb (a DTD
whose entities expand exponentially, "billion laughs"). Both are recognised here from the
central directory and from the first bytes of each XML part, so nothing is ever fully
decompressed. The limits sit far above what ordinary documents reach; the parse sandbox's
memory limit (``parse/sandbox.py``) stays the backstop for anything that gets past them.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from typing import BinaryIO

from docproc.pipeline.types import UnsupportedDocumentError

# One part may unpack to at most this (lxml holds a whole part's tree, ~10x its size).
MAX_MEMBER_BYTES = 256 * 1024 * 1024
# A part larger than RATIO_FLOOR_BYTES may be compressed at most this much. Office XML
# deflates about 5-20:1 and media hardly at all, but a Word file of one paragraph repeated
# 20,000 times reaches about 300:1; a bomb's parts deflate about 1,000:1 (deflate's maximum).
MAX_RATIO = 500
RATIO_FLOOR_BYTES = 1024 * 1024
# A workbook with thousands of sheets or a deck with thousands of slides stays well below.
MAX_MEMBERS = 20_000
# A DTD can only come before the root element; the prolog of an Office part is one line.
XML_HEAD_BYTES = 64 * 1024

TOO_LARGE_REASON = (
    "The {name} unpacks to {size_mb} MB, more than the limit of {limit_mb} MB; it may be a "
    "ZIP bomb."
)
MEMBER_TOO_LARGE_REASON = (
    "The {name} has a part ({member}) that unpacks to {size_mb} MB, more than the limit of "
    "{limit_mb} MB for one part; it may be a ZIP bomb."
)
RATIO_REASON = (
    "The {name} has a part ({member}) compressed {ratio:,}:1, far more than the {limit}:1 of "
    "ordinary documents; it was refused as unsafe (it may be a ZIP bomb)."
)
TOO_MANY_MEMBERS_REASON = (
    "The {name} has {count:,} parts, more than the limit of {limit:,}; it was refused as unsafe."
)
DTD_REASON = (
    "The {name} was refused as unsafe: its part {member} declares XML entities (a DTD), "
    "which Office files never contain and which can expand without bound (billion laughs)."
)
DAMAGED_REASON = "The {name} is damaged or truncated and could not be read: {detail}"

# Whitespace, a byte-order mark, the XML declaration, comments and processing instructions.
_PROLOG = re.compile(r"\A\ufeff?(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_XML_SUFFIXES = (".xml", ".rels", ".vml")


def check_container(file: BinaryIO, name: str, max_unpacked_bytes: int) -> None:
    """Raise UnsupportedDocumentError, naming the limit, when the Office file in ``file``
    (its type described by ``name``, "Word document") is a ZIP or XML entity bomb."""
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            _check_sizes(members, name, max_unpacked_bytes)
            for member in members:
                if member.filename.lower().endswith(_XML_SUFFIXES):
                    with archive.open(member) as part:
                        head = part.read(XML_HEAD_BYTES)
                    if _declares_dtd(head):
                        raise UnsupportedDocumentError(
                            DTD_REASON.format(name=name, member=_shown(member.filename))
                        )
    except UnsupportedDocumentError:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # zipfile raises BadZipFile, NotImplementedError, zlib.error...
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise UnsupportedDocumentError(DAMAGED_REASON.format(name=name, detail=detail)) from exc


def _check_sizes(members: list[zipfile.ZipInfo], name: str, max_unpacked_bytes: int) -> None:
    """The central directory's declared sizes against the limits. zipfile stops inflating a
    part at its declared size, so a directory that understates a size cannot sneak more in."""
    if len(members) > MAX_MEMBERS:
        raise UnsupportedDocumentError(
            TOO_MANY_MEMBERS_REASON.format(name=name, count=len(members), limit=MAX_MEMBERS)
        )
    unpacked = sum(member.file_size for member in members)
    if unpacked > max_unpacked_bytes:
        raise UnsupportedDocumentError(
            TOO_LARGE_REASON.format(
                name=name, size_mb=unpacked // 2**20, limit_mb=max_unpacked_bytes // 2**20
            )
        )
    for member in members:
        if member.file_size > MAX_MEMBER_BYTES:
            raise UnsupportedDocumentError(
                MEMBER_TOO_LARGE_REASON.format(
                    name=name,
                    member=_shown(member.filename),
                    size_mb=member.file_size // 2**20,
                    limit_mb=MAX_MEMBER_BYTES // 2**20,
                )
            )
        if member.file_size > RATIO_FLOOR_BYTES:
            ratio = member.file_size // max(member.compress_size, 1)
            if ratio > MAX_RATIO:
                raise UnsupportedDocumentError(
                    RATIO_REASON.format(
                        name=name, member=_shown(member.filename), ratio=ratio, limit=MAX_RATIO
                    )
                )


def _declares_dtd(head: bytes) -> bool:
    """True when an XML part's prolog holds a DTD (``<!DOCTYPE``), or is so long that the root
    element does not start within ``XML_HEAD_BYTES`` (which no Office writer produces)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.decode("latin-1")
    rest = text[_PROLOG.match(text).end() :]  # type: ignore[union-attr]  # always matches
    if rest.startswith(("<!DOCTYPE", "<!ENTITY")):
        return True
    prolog_runs_on = not rest or rest.startswith(("<!--", "<?"))
    return prolog_runs_on and len(head) == XML_HEAD_BYTES


def _shown(member_name: str) -> str:
    """A part's name as it may appear in a reason: printable characters, at most 100."""
    printable = "".join(c for c in member_name if c.isprintable())
    return printable[:100] + ("..." if len(printable) > 100 else "")
