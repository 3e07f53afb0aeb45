"""Model servers for tests: free ports, a real ``manage.py serve_llm`` subprocess, and small
local HTTP servers that misbehave on purpose (garbage, slowness, errors: no real server does that
on demand). Talks HTTP with the standard library only; httpx stays inside
docproc/pipeline/llm/client.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support.paths import ARTIFACTS, REPO

# No proxy from the environment may see test traffic to 127.0.0.1.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def pick_free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_json(method: str, url: str, body: dict | None = None, timeout: float = 10.0) -> Any:
    """Send one request with the standard library and return the decoded JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with _opener.open(request, timeout=timeout) as response:
        return json.loads(response.read())


def answers_health(root_url: str) -> bool:
    try:
        with _opener.open(f"{root_url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


class ServeLLMProcess:
    """``manage.py serve_llm`` as a real subprocess on a free port of 127.0.0.1."""

    def __init__(self, model: Path, ctx: int, name: str, model_name: str, threads: int = 2) -> None:
        self.port = pick_free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.root_url = f"http://127.0.0.1:{self.port}"
        self.model_name = model_name
        ARTIFACTS.mkdir(exist_ok=True)
        self.log_path = ARTIFACTS / f"llm-{name}.log"
        env = dict(os.environ)
        env.update(
            DOCPROC_LLM_BASE_URL=self.base_url,
            DOCPROC_LLM_MODEL=model_name,
            DOCPROC_LLM_API_KEY="",
            DOCPROC_LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.pop("DOCPROC_LLM_BASE_URL_FILE", None)
        env.pop("DOCPROC_LLM_API_KEY_FILE", None)
        self._log = self.log_path.open("ab")
        command = [sys.executable, "manage.py", "serve_llm", "--model", str(model)]
        command += ["--ctx", str(ctx), "--threads", str(threads)]
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not answers_health(self.root_url):
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"serve_llm exited ({self.process.returncode}):\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"serve_llm did not answer within {timeout}s:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, then SIGKILL if it does not stop in time; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def log_tail(self, lines: int = 30) -> str:
        if not self._log.closed:
            self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def slot_tasks(self) -> list[int]:
        """The id of the last generation task of each of llama.cpp's slots: it changes when, and
        only when, a completion runs (counting tokens or rendering a template does not)."""
        return [slot["id_task"] for slot in http_json("GET", f"{self.root_url}/slots")]


# --- deliberately misbehaving servers ---------------------------------------------------------

Route = Callable[["FakeHandler", dict], None]


class FakeHandler(BaseHTTPRequestHandler):
    server: FakeServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._dispatch({})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = {"_raw": raw.decode(errors="replace")}
        self._dispatch(body)

    def _dispatch(self, body: dict) -> None:
        self.server.record(self.command, self.path, body)
        route = self.server.routes.get((self.command, self.path))
        if route is None:
            self.send_json(404, {"error": {"message": "File Not Found", "code": 404}})
            return
        try:
            route(self, body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first: what a slow-server test expects

    def send_json(self, status: int, obj: Any) -> None:
        self.send_raw(status, json.dumps(obj).encode(), "application/json")

    def send_raw(self, status: int, payload: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class FakeServer(ThreadingHTTPServer):
    """A local HTTP server in a thread, answering ``routes[(method, path)](handler, body)`` and
    recording every request as ``(method, path, body)``."""

    daemon_threads = True  # a handler still sleeping must not block the shutdown

    def __init__(self, routes: dict[tuple[str, str], Route]) -> None:
        super().__init__(("127.0.0.1", 0), FakeHandler)
        self.routes = routes
        self.requests: list[tuple[str, str, dict]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def record(self, method: str, path: str, body: dict) -> None:
        with self._lock:
            self.requests.append((method, path, body))

    def count(self, method: str, path: str) -> int:
        with self._lock:
            return sum(1 for m, p, _ in self.requests if (m, p) == (method, path))

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
        self.server_close()


def llamacpp_routes(chat: Route, n_ctx: int = 4096) -> dict[tuple[str, str], Route]:
    """What a llama.cpp server answers before a chat (model list, context, template, token
    counts: ten tokens for anything), with ``chat`` answering the chat itself."""
    return {
        ("GET", "/v1/models"): lambda h, b: h.send_json(
            200, {"object": "list", "data": [{"id": "fake", "owned_by": "llamacpp"}]}
        ),
        ("GET", "/props"): lambda h, b: h.send_json(
            200, {"default_generation_settings": {"n_ctx": n_ctx}}
        ),
        ("POST", "/apply-template"): lambda h, b: h.send_json(200, {"prompt": "user: hi\n"}),
        ("POST", "/tokenize"): lambda h, b: h.send_json(200, {"tokens": list(range(10))}),
        ("GET", "/health"): lambda h, b: h.send_json(200, {"status": "ok"}),
        ("POST", "/v1/chat/completions"): chat,
    }


def completion_body(text: str, finish_reason: str = "stop") -> dict:
    return {
        "object": "chat.completion",
        "model": "fake",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": text},
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
    }
