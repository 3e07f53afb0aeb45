"""A tiny, deterministic llama-architecture GGUF model for exact tests of the LLM boundary.

Both blocks' attention and FFN output projections are zero, so the residual stream is just the
embedding of the current token. Embeddings are one-hot and the output matrix is a bigram table,
so greedy decoding of any prompt yields exactly :data:`REPLY` and then end-of-sequence: exact
assertions on text, ``finish_reason``, stream deltas and token counts, in a 475 KB file that
llama.cpp loads in milliseconds. Its tokenizer has no merges for ordinary text, so it spells
most text byte by byte (one token per byte, plus one per word-initial space).

Adapted from ../shared/reference/make_tiny_gguf.py (the random-weights variant is not needed).
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np

REPLY = "one two three four five six seven eight nine ten"
WORDS = REPLY.split()
TRAIN_CONTEXT = 2048
_N_EMBD, _N_FF, _N_HEAD, _N_LAYER = 64, 128, 4, 2
# Chat template: "role: content" per line, then "assistant:".
CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)


def write_tiny_gguf(path: Path) -> Path:
    """Write the model to ``path`` (the same bytes every time) and return the path."""
    path = Path(path)
    tokens: list[str] = []
    scores: list[float] = []
    types: list[int] = []

    def add(token: str, score: float = 0.0, kind: int = gguf.TokenType.NORMAL) -> int:
        tokens.append(token)
        scores.append(score)
        types.append(kind)
        return len(tokens) - 1

    # SentencePiece-style ("llama") vocabulary with byte fallback.
    unk = add("<unk>", kind=gguf.TokenType.UNKNOWN)
    bos = add("<s>", kind=gguf.TokenType.CONTROL)
    eos = add("</s>", kind=gguf.TokenType.CONTROL)
    for byte in range(256):
        add(f"<0x{byte:02X}>", kind=gguf.TokenType.BYTE)
    add("\u2581", -1.0)
    word_ids = [add(("\u2581" if k else "") + w, -2.0) for k, w in enumerate(WORDS)]
    n_vocab = len(tokens)

    # Dimension 0: "any token that is not a reply word"; dimension k+1: reply word k.
    tok_embd = np.zeros((n_vocab, _N_EMBD), np.float32)
    tok_embd[:, 0] = 1.0
    for k, wid in enumerate(word_ids):
        tok_embd[wid, 0] = 0.0
        tok_embd[wid, k + 1] = 1.0
    output = np.zeros((n_vocab, _N_EMBD), np.float32)
    output[word_ids[0], 0] = 4.0  # anything else -> "one"
    for k in range(len(WORDS) - 1):
        output[word_ids[k + 1], k + 1] = 4.0  # word k -> word k+1
    output[eos, len(WORDS)] = 4.0  # last word -> </s>

    rng = np.random.default_rng(0)

    def linear(rows: int, cols: int, zero: bool = False) -> np.ndarray:
        if zero:
            return np.zeros((rows, cols), np.float32)
        return (rng.standard_normal((rows, cols)) * 0.02).astype(np.float32)

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-test-llama")
    writer.add_context_length(TRAIN_CONTEXT)
    writer.add_embedding_length(_N_EMBD)
    writer.add_block_count(_N_LAYER)
    writer.add_feed_forward_length(_N_FF)
    writer.add_head_count(_N_HEAD)
    writer.add_head_count_kv(_N_HEAD)
    writer.add_rope_dimension_count(_N_EMBD // _N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(n_vocab)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(bos)
    writer.add_eos_token_id(eos)
    writer.add_unk_token_id(unk)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    writer.add_tensor("token_embd.weight", tok_embd)
    writer.add_tensor("output_norm.weight", np.ones(_N_EMBD, np.float32))
    writer.add_tensor("output.weight", output)
    for i in range(_N_LAYER):
        prefix = f"blk.{i}."
        writer.add_tensor(prefix + "attn_norm.weight", np.ones(_N_EMBD, np.float32))
        writer.add_tensor(prefix + "attn_q.weight", linear(_N_EMBD, _N_EMBD))
        writer.add_tensor(prefix + "attn_k.weight", linear(_N_EMBD, _N_EMBD))
        writer.add_tensor(prefix + "attn_v.weight", linear(_N_EMBD, _N_EMBD))
        writer.add_tensor(prefix + "attn_output.weight", linear(_N_EMBD, _N_EMBD, zero=True))
        writer.add_tensor(prefix + "ffn_norm.weight", np.ones(_N_EMBD, np.float32))
        writer.add_tensor(prefix + "ffn_gate.weight", linear(_N_FF, _N_EMBD))
        writer.add_tensor(prefix + "ffn_up.weight", linear(_N_FF, _N_EMBD))
        writer.add_tensor(prefix + "ffn_down.weight", linear(_N_EMBD, _N_FF, zero=True))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
