"""The word-piece counter: the embedding model's own tokenizer, without truncation or padding."""

from __future__ import annotations

from docproc.pipeline.model_files import EMBEDDING_MAX_WORD_PIECES
from docproc.pipeline.wordpieces import (
    MAX_CONTENT_WORD_PIECES,
    WordPieceCounter,
    word_piece_counter,
)


def test_count_leaves_out_the_cls_and_sep_tokens():
    assert word_piece_counter().count("hello world") == 2


def test_count_splits_punctuation_and_rare_words_into_word_pieces():
    assert word_piece_counter().count("Hello, unbelievably") == 2 + 5


def test_count_is_not_truncated_at_the_bundled_tokenizers_128_limit():
    assert word_piece_counter().count("word " * 300) == 300


def test_count_of_a_short_text_is_not_padded():
    assert word_piece_counter().count("word") == 1


def test_count_of_empty_text_is_zero():
    assert word_piece_counter().count("") == 0


def test_count_gives_each_cjk_character_its_own_word_piece():
    assert word_piece_counter().count("中文句子") == 4


def test_offsets_are_the_character_spans_of_the_word_pieces():
    assert word_piece_counter().offsets("Hello, world") == [(0, 5), (5, 6), (7, 12)]


def test_offsets_split_a_rare_word_inside_it():
    assert word_piece_counter().offsets("unbelievably") == [(0, 2), (2, 5), (5, 7), (7, 9), (9, 12)]


def test_offsets_are_in_characters_not_bytes():
    assert word_piece_counter().offsets("é 中文") == [(0, 1), (2, 3), (3, 4)]


def test_word_piece_counter_is_loaded_once_per_process():
    assert word_piece_counter() is word_piece_counter()


def test_a_new_counter_counts_like_the_shared_one():
    assert WordPieceCounter().count("The Supplier shall deliver.") == 5


def test_max_content_word_pieces_leaves_room_for_cls_and_sep():
    assert MAX_CONTENT_WORD_PIECES == EMBEDDING_MAX_WORD_PIECES - 2 == 254
