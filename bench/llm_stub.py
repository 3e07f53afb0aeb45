"""An OpenAI-compatible LLM server that answers instantly, so a benchmark can time everything a
request costs except generation: it speaks llama.cpp's dialect (what ``manage.py serve_llm``
runs), with every endpoint ``docproc/pipeline/llm/client.py`` calls.

    .venv/bin/python bench/llm_stub.py --port 8011 [--ctx 8192]

- ``GET /v1/models`` (``owned_by: llamacpp``), ``GET /props`` (``n_ctx``), ``GET /health``;
- ``POST /apply-template``: the messages in SmolLM2's ChatML template;
- ``POST /tokenize``: about one token per short word or punctuation mark (longer words more),
  close to SmolLM2's BPE on English prose, so compression and the context check do the same
  work they do against the real server; ChatML's special tokens count one each;
- ``POST /v1/chat/completions`` (plain or streamed): the first sentence of each of the first two
  fenced documents in the prompt, each followed by its ``[n]`` marker, the way a good model
  answers. So citation attribution and verification run as they do for a real answer; with no
  document in the prompt it answers ``NOT_FOUND``.

It runs as its own process (not a thread of the benchmark), so the benchmark's clients and the
stub do not share one interpreter lock. Standard library only; HTTP/1.1 with keep-alive, like
llama.cpp. Prints one line, ``ready <port>``, once it listens.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "SmolLM2-135M-Instruct"
SPECIAL = re.compile(r"<\|[a-z_]+\|>")
# Word pieces as a GPT-2-style pre-tokenizer cuts them: words, numbers, runs of punctuation.
PIECE = re.compile(r"[^\W\d_]+|\d{1,3}|[^\w\s]+|_+", re.UNICODE)
DOCUMENT = re.compile(r"<<<DOC (\d+)>>>[^\n]*\n(.*?)\n<<<END DOC \1>>>", re.DOTALL)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
MAX_SENTENCE_CHARS = 300
CITED_DOCUMENTS = 2


def count_tokens(text: str, parse_special: bool = False) -> int:
    """Tokens of ``text``: one per piece up to six characters, one more per six after that."""
    count = 0
    if parse_special:
        count += len(SPECIAL.findall(text))
        text = SPECIAL.sub(" ", text)
    for piece in PIECE.findall(text):
        count += 1 + (len(piece) - 1) // 6
    return count


def chat_template(messages: list[dict]) -> str:
    """SmolLM2's ChatML rendering, with the assistant's turn opened."""
    turns = "".join(
        f"<|im_start|>{m.get('role', 'user')}\n{m.get('content', '')}<|im_end|>\n" for m in messages
    )
    return turns + "<|im_start|>assistant\n"


def answer_for(messages: list[dict]) -> str:
    """A grounded answer: the first sentence of the first documents in the prompt, cited."""
    prompt = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
    statements = []
    for number, text in DOCUMENT.findall(prompt)[:CITED_DOCUMENTS]:
        sentence = SENTENCE_END.split(text.strip(), maxsplit=1)[0][:MAX_SENTENCE_CHARS].strip()
        if sentence:
            statements.append(f"{sentence} [{number}]")
    return " ".join(statements) or "NOT_FOUND"


class StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as llama.cpp's server
    # Headers and body go out in two writes; with Nagle's algorithm the second waits for the
    # client's delayed ACK (40 ms on Linux), which would dwarf everything measured.
    disable_nagle_algorithm = True
    server_version = "docproc-bench-llm-stub"

    def log_message(self, format: str, *args) -> None:  # one line per request would dominate
        pass

    def do_GET(self) -> None:
        if self.path == "/v1/models":
            entry = {"id": MODEL, "object": "model", "owned_by": "llamacpp"}
            self._json({"object": "list", "data": [entry]})
        elif self.path == "/props":
            self._json({"default_generation_settings": {"n_ctx": self.server.n_ctx}})
        elif self.path == "/health":
            self._json({"status": "ok"})
        else:
            self._json({"error": {"message": "File Not Found", "code": 404}}, 404)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._json({"error": {"message": "invalid JSON", "code": 400}}, 400)
            return
        if self.path == "/tokenize":
            text = str(body.get("content", ""))
            count = count_tokens(text, bool(body.get("parse_special")))
            if body.get("add_special"):
                count += 1
            self._json({"tokens": list(range(count))})
        elif self.path == "/apply-template":
            self._json({"prompt": chat_template(body.get("messages") or [])})
        elif self.path == "/v1/chat/completions":
            self._chat(body)
        else:
            self._json({"error": {"message": "File Not Found", "code": 404}}, 404)

    def _chat(self, body: dict) -> None:
        messages = body.get("messages") or []
        text = answer_for(messages)
        usage = {
            "prompt_tokens": count_tokens(chat_template(messages), parse_special=True) + 1,
            "completion_tokens": count_tokens(text),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        created = int(time.time())
        if not body.get("stream"):
            self._json(
                {
                    "object": "chat.completion",
                    "created": created,
                    "model": MODEL,
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": text},
                        }
                    ],
                    "usage": usage,
                }
            )
            return
        words = text.split(" ")
        deltas = [w if i == 0 else " " + w for i, w in enumerate(words)]
        chunks = [
            {"choices": [{"index": 0, "delta": {"content": d}, "finish_reason": None}]}
            for d in deltas
        ]
        chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        chunks.append({"choices": [], "usage": usage})
        events = "".join(
            "data: "
            + json.dumps({"object": "chat.completion.chunk", "model": MODEL, **chunk})
            + "\n\n"
            for chunk in chunks
        )
        self._send(200, (events + "data: [DONE]\n\n").encode(), "text/event-stream")

    def _json(self, payload: dict, status: int = 200) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class StubServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, port: int, n_ctx: int) -> None:
        super().__init__(("127.0.0.1", port), StubHandler)
        self.n_ctx = n_ctx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ctx", type=int, default=8192, help="context length it reports")
    args = parser.parse_args()
    server = StubServer(args.port, args.ctx)
    print(f"ready {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
