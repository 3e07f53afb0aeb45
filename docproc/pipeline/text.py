"""Text shared by both flows: the one canonical form of extracted text.

Every parser and OCR pass ends in ``normalize_text``, so that the page text stored for the same
bytes is always the same string (chunk offsets and idempotent re-runs rely on it).
"""

from __future__ import annotations

import re
import unicodedata

_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# NUL and other control characters (tab and newline kept), and lone surrogates, which a broken
# font map can produce and which PostgreSQL and UTF-8 cannot store.
_UNWANTED = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_TRAILING_SPACE = re.compile(r"[^\S\n]+$", re.MULTILINE)


def normalize_text(text: str) -> str:
    """Canonical form of extracted text: NFC, ``\\n`` line breaks, no control characters, no
    trailing spaces on a line, no blank lines at either end. A pure function of its input."""
    text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _UNWANTED.sub("", text)
    text = _TRAILING_SPACE.sub("", text)
    return text.strip("\n")
