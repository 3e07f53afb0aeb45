"""Word-piece counting with the embedding model's own tokenizer.

Chunks are bounded in the embedding model's word pieces, not characters or words, because the
model silently truncates anything past its limit: a chunk counted any other way could lose its
tail without an error. This is the only module that imports ``tokenizers``; it is imported
lazily, so importing the chunk stage costs nothing until text is first counted.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from docproc.pipeline.model_files import EMBEDDING_MAX_WORD_PIECES, embedding_model_path

if TYPE_CHECKING:
    from tokenizers import Tokenizer

# The model adds [CLS] and [SEP] around every input, so content gets two fewer word pieces.
MAX_CONTENT_WORD_PIECES = EMBEDDING_MAX_WORD_PIECES - 2


class WordPieceCounter:
    """Counts and locates the word pieces the embedding model will see for a text.

    The bundled ``tokenizer.json`` enables truncation and padding to 128; both are turned off
    here, otherwise long texts would be under-counted and short ones padded.
    """

    def __init__(self, tokenizer_path: Path | None = None) -> None:
        from tokenizers import Tokenizer

        path = tokenizer_path or embedding_model_path() / "tokenizer.json"
        self._tokenizer: Tokenizer = Tokenizer.from_file(str(path))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def count(self, text: str) -> int:
        """Number of word pieces in ``text``, without [CLS]/[SEP]."""
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """Character span ``(start, end)`` in ``text`` of each word piece, in order.

        Used to cut a text with no better boundary at a word-piece boundary.
        """
        return list(self._tokenizer.encode(text, add_special_tokens=False).offsets)


@cache
def word_piece_counter() -> WordPieceCounter:
    """The process-wide counter, loaded on first use (call it to warm up a worker)."""
    return WordPieceCounter()
