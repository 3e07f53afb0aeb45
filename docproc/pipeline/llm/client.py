"""The one boundary to the language model: an OpenAI-compatible chat server over HTTP.

Production runs vLLM; the embedded default is llama.cpp's server (``manage.py serve_llm``). Both
speak ``/v1/chat/completions``; they differ in how they report the context length and count
tokens, so this module detects which one answers (once, from ``GET /v1/models``) and asks each
in its own dialect:

- context length: vLLM ``GET /v1/models`` → ``data[0].max_model_len``; llama.cpp ``GET /props`` →
  ``default_generation_settings.n_ctx`` (the context of one request slot).
- tokens of a text: vLLM ``POST /tokenize {model, prompt}`` → ``count``; llama.cpp
  ``POST /tokenize {content}`` → ``tokens``.
- tokens of a chat prompt: vLLM ``POST /tokenize {model, messages}`` → ``count``; llama.cpp
  ``POST /apply-template {messages}`` → ``prompt``, then ``/tokenize`` it with special tokens.

Every count comes from the served model's own tokenizer and chat template, so a prompt that is
checked to fit really fits. ``chat`` refuses, before sending anything, a request whose prompt
plus ``max_tokens`` exceeds the context: a server would otherwise truncate or fail late.

Failures come in three kinds a caller can act on: :class:`LLMUnavailableError` (transient: the
server is down, slow or overloaded — retried here a bounded number of times, then raised as a
:class:`~docproc.pipeline.types.TransientError` so a Celery task may retry later),
:class:`LLMResponseError` (the server answered 200 with something unusable) and
:class:`ContextOverflowError`. Anything else the server refuses is a plain :class:`LLMError`
carrying the server's own message.

Only this module imports httpx (ruff's banned-api enforces it). Prompts are never logged: they
hold confidential document text.
"""

from __future__ import annotations

import enum
import json
import logging
import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from docproc.pipeline.types import TransientError

logger = logging.getLogger(__name__)

# Roles both servers accept in a chat. llama.cpp takes any role (and an empty list) with 200;
# vLLM refuses them, so they are refused here for every server alike.
ROLES = frozenset({"system", "user", "assistant"})

# Retry pacing: 0.25 s, 0.5 s, 1 s, ... (with jitter below it), never more than this.
_BACKOFF_FIRST_S = 0.25
_BACKOFF_MAX_S = 4.0
# Chat prompts counted recently, so that a caller that fitted a prompt and then sends it does not
# pay for counting it twice. Small: entries hold whole prompts.
_CHAT_COUNT_CACHE_SIZE = 32
# How the servers say a prompt is too long: llama.cpp's error type, vLLM's wording.
_OVERFLOW = re.compile(
    r"exceed_context_size|context (length|size|window)|max_model_len|maximum context|"
    r"prompt is too long|too many tokens",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a chat: ``role`` is ``system``, ``user`` or ``assistant``."""

    role: str
    content: str


@dataclass(frozen=True, slots=True)
class Completion:
    """What the model wrote, why it stopped (``stop``: finished or hit a stop string;
    ``length``: ran into ``max_tokens``), the tokens billed, and the wall-clock seconds the call
    took (from the first request to the last byte, retries included)."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    model: str

    @property
    def usage(self) -> Usage:
        return Usage(self.prompt_tokens, self.completion_tokens, self.latency_s)


@dataclass(frozen=True, slots=True)
class Usage:
    """What one or more model calls spent: tokens billed and wall-clock seconds. Every result
    a service makes with the model carries one (added up over its calls), and the audit
    records it from there."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.latency_s + other.latency_s,
        )

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict[str, int | float]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_s": round(self.latency_s, 3),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Usage:
        """The usage a result recorded (``as_dict``'s shape); none recorded is none spent."""
        data = data or {}
        return cls(
            int(data.get("prompt_tokens", 0)),
            int(data.get("completion_tokens", 0)),
            float(data.get("latency_s", 0.0)),
        )


class LLMError(Exception):
    """The language model could not produce an answer; the message is for a person."""


class LLMUnavailableError(LLMError, TransientError):
    """The server could not be reached, timed out, was overloaded or failed (5xx), even after the
    bounded retries. Worth trying again later. ``reason`` says which, in a few words a person
    reads ("connection refused", "timed out", "server error", "stopped mid-answer")."""

    def __init__(self, message: str, reason: str = "unavailable") -> None:
        super().__init__(message)
        self.reason = reason


class LLMResponseError(LLMError):
    """The server answered 200 with something unusable: not JSON, no choices, or output that does
    not match the requested JSON schema."""


class ContextOverflowError(LLMError):
    """The prompt plus the tokens reserved for the answer do not fit the model's context."""


class _Dialect(enum.Enum):
    VLLM = "vLLM"
    LLAMACPP = "llama.cpp"


class _Retryable(Exception):
    """Internal: one attempt failed in a way worth retrying; ``reason`` says how, ``kind`` in
    the words of :attr:`LLMUnavailableError.reason`."""

    def __init__(
        self, reason: str, retry_after: float | None = None, kind: str = "server error"
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.kind = kind


class LLMClient:
    """A client for one model on one OpenAI-compatible server (vLLM or llama.cpp).

    ``base_url`` is the API root including ``/v1`` (``http://127.0.0.1:8001/v1``); the server's
    own endpoints (``/tokenize``, ``/props``, ``/health``) live beside it. ``timeout_s`` bounds
    every wait: connecting, and each read (so a stream that stops moving fails rather than
    hangs). Transient failures are retried ``max_retries`` times with backoff. ``context_length``
    > 0 fixes the context; 0 asks the server once. Thread-safe; reuse one per process.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        api_key: str = "",
        context_length: int = 0,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.base_url = base_url.rstrip("/")
        self.root_url = self.base_url.removesuffix("/v1")
        self.model = model
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self._configured_context = max(context_length, 0)
        self._context: int | None = None
        self._dialect: _Dialect | None = None
        self._chat_counts: OrderedDict[tuple[ChatMessage, ...], int] = OrderedDict()
        self._lock = threading.Lock()
        headers = {"User-Agent": "docproc"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        # trust_env=False: document text must never be routed through a proxy picked up from
        # the environment (HTTP_PROXY & co.); the LLM server is inside the network by design.
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"LLMClient({self.base_url!r}, {self.model!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what the server can take ---------------------------------------------------------------

    def context_length(self) -> int:
        """The model's context in tokens (prompt and answer together): the configured value, else
        what the server reports, asked once and cached."""
        if self._configured_context:
            return self._configured_context
        if self._context is None:
            if self._server_dialect() is _Dialect.VLLM:
                value = self._models_entry().get("max_model_len")
            else:
                props = self._get_json(f"{self.root_url}/props")
                value = (props.get("default_generation_settings") or {}).get("n_ctx")
            if not isinstance(value, int) or value <= 0:
                raise LLMResponseError(
                    f"The LLM server at {self.base_url} did not report its context length; "
                    "set DOCPROC_LLM_CONTEXT_LENGTH."
                )
            self._context = value
        return self._context

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` alone in the served model's tokenizer (no special tokens)."""
        if self._server_dialect() is _Dialect.VLLM:
            body = {"model": self.model, "prompt": text, "add_special_tokens": False}
            return _token_count(self._post_json(f"{self.root_url}/tokenize", body), self.base_url)
        body = {"content": text}
        return _token_count(self._post_json(f"{self.root_url}/tokenize", body), self.base_url)

    def count_chat_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """Tokens of the prompt the server builds from ``messages``: its chat template applied,
        the assistant's turn opened, special tokens included. Exactly what ``chat`` is billed as
        ``prompt_tokens``."""
        key = _checked_messages(messages)
        with self._lock:
            if key in self._chat_counts:
                self._chat_counts.move_to_end(key)
                return self._chat_counts[key]
        wire = [_wire(message) for message in key]
        if self._server_dialect() is _Dialect.VLLM:
            body = {"model": self.model, "messages": wire, "add_generation_prompt": True}
            count = _token_count(self._post_json(f"{self.root_url}/tokenize", body), self.base_url)
        else:
            rendered = self._post_json(f"{self.root_url}/apply-template", {"messages": wire})
            prompt = rendered.get("prompt")
            if not isinstance(prompt, str):
                raise LLMResponseError(
                    f"The LLM server at {self.base_url} did not render the chat."
                )
            # As the server does for a chat: special tokens added (BOS) and parsed in the text.
            body = {"content": prompt, "add_special": True, "parse_special": True}
            count = _token_count(self._post_json(f"{self.root_url}/tokenize", body), self.base_url)
        with self._lock:
            self._chat_counts[key] = count
            while len(self._chat_counts) > _CHAT_COUNT_CACHE_SIZE:
                self._chat_counts.popitem(last=False)
        return count

    # -- generation ---------------------------------------------------------------------------

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        json_schema: dict[str, Any] | None = None,
        schema_name: str = "result",
    ) -> Completion:
        """The model's reply to ``messages``, at most ``max_tokens`` long.

        With ``json_schema`` the server constrains the output to that schema and the text is
        checked to be JSON that validates against it (else :class:`LLMResponseError`).
        Raises :class:`ContextOverflowError`, without sending the chat, when the prompt plus
        ``max_tokens`` exceeds the context.
        """
        if json_schema is not None:
            _check_schema(json_schema)
        prompt_tokens = self._check_fits(messages, max_tokens)
        body = self._chat_body(messages, max_tokens, temperature, stop)
        if json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "schema": json_schema},
            }
        started = time.monotonic()
        data = self._post_json(f"{self.base_url}/chat/completions", body)
        latency = time.monotonic() - started
        choice = _first_choice(data, self.base_url)
        message = choice.get("message")
        text = message.get("content") if isinstance(message, dict) else None
        if not isinstance(text, str):
            raise LLMResponseError(f"The LLM server at {self.base_url} returned no message text.")
        finish_reason = str(choice.get("finish_reason") or "unknown")
        if json_schema is not None:
            _check_output(text, json_schema, finish_reason, max_tokens)
        usage = data.get("usage")
        if not isinstance(usage, dict):
            usage = {}
        return Completion(
            text=text,
            finish_reason=finish_reason,
            prompt_tokens=_int(usage.get("prompt_tokens"), prompt_tokens),
            completion_tokens=self._completion_tokens(usage, text),
            latency_s=latency,
            model=str(data.get("model") or self.model),
        )

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str | Completion]:
        """The reply as it is written: text deltas (``str``), then one final :class:`Completion`
        with the whole text and the usage.

        The context check happens here, before anything is sent (so ContextOverflowError is
        raised by this call, not by the first ``next``). A stream that stops moving for
        ``timeout_s`` fails with :class:`LLMUnavailableError`; a failure before the first
        delta is retried like any request, one after it is not (the deltas are already out).
        """
        prompt_tokens = self._check_fits(messages, max_tokens)
        body = self._chat_body(messages, max_tokens, temperature, stop)
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
        return self._stream(body, prompt_tokens)

    def health(self) -> bool:
        """Whether the server says it is ready (``GET /health`` answers 200). Never raises."""
        try:
            response = self._http.get(f"{self.root_url}/health", timeout=min(self.timeout_s, 5.0))
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    # -- internals ------------------------------------------------------------------------------

    def _check_fits(self, messages: Sequence[ChatMessage], max_tokens: int) -> int:
        """Counts the prompt and refuses one that cannot fit with ``max_tokens`` more."""
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise LLMError(f"max_tokens must be a positive integer, got {max_tokens!r}.")
        prompt_tokens = self.count_chat_tokens(messages)
        limit = self.context_length()
        if prompt_tokens + max_tokens > limit:
            raise ContextOverflowError(
                f"The prompt is {prompt_tokens} tokens and {max_tokens} more are reserved for the "
                f"answer, but the model's context is {limit} tokens. Shorten the input."
            )
        return prompt_tokens

    def _completion_tokens(self, usage: dict[str, Any], text: str) -> int:
        """The server's count of generated tokens, else (a server that reports no usage) ours."""
        reported = usage.get("completion_tokens")
        if isinstance(reported, int) and not isinstance(reported, bool) and reported >= 0:
            return reported
        return self.count_tokens(text) if text else 0

    def _chat_body(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [_wire(message) for message in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if stop:
            body["stop"] = list(stop)
        return body

    def _server_dialect(self) -> _Dialect:
        """Which server answers, from its model list (asked once): vLLM reports
        ``max_model_len`` there, llama.cpp says ``owned_by: llamacpp``."""
        if self._dialect is None:
            entry = self._models_entry()
            if "max_model_len" in entry or entry.get("owned_by") == "vllm":
                self._dialect = _Dialect.VLLM
            elif entry.get("owned_by") == "llamacpp" or "meta" in entry:
                self._dialect = _Dialect.LLAMACPP
            else:
                # Neither signature: llama.cpp is the one with /props.
                try:
                    self._get_json(f"{self.root_url}/props")
                except LLMError as exc:
                    raise LLMError(
                        f"The server at {self.base_url} is neither vLLM nor llama.cpp as far as "
                        "docproc can tell; it needs one of them (it counts tokens their way)."
                    ) from exc
                self._dialect = _Dialect.LLAMACPP
            logger.info("LLM server at %s is %s", self.base_url, self._dialect.value)
        return self._dialect

    def _models_entry(self) -> dict[str, Any]:
        """The served model's entry in ``GET /v1/models`` (ours by id, else the first)."""
        data = self._get_json(f"{self.base_url}/models").get("data")
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            raise LLMResponseError(f"The LLM server at {self.base_url} lists no models.")
        for entry in data:
            if isinstance(entry, dict) and entry.get("id") == self.model:
                return entry
        return data[0]

    def _get_json(self, url: str) -> dict[str, Any]:
        return _json_object(self._send("GET", url, None), url)

    def _post_json(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        return _json_object(self._send("POST", url, body), url)

    def _send(self, method: str, url: str, body: dict[str, Any] | None) -> httpx.Response:
        """One request, retried on transient failures; returns a 2xx response."""
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            try:
                try:
                    response = self._http.request(method, url, json=body)
                except httpx.TimeoutException as exc:
                    raise _Retryable(
                        f"no answer within {self.timeout_s:g} s", kind="timed out"
                    ) from exc
                except httpx.TransportError as exc:
                    raise _Retryable(_transport_reason(exc), kind=_transport_kind(exc)) from exc
                _raise_for_status(response, self.base_url)
                return response
            except _Retryable as failure:
                self._after_failure(failure, attempt, attempts, url)
        raise AssertionError("unreachable")  # _after_failure raises on the last attempt

    def _after_failure(self, failure: _Retryable, attempt: int, attempts: int, url: str) -> None:
        """Waits before the next attempt, or raises LLMUnavailableError after the last one."""
        if attempt + 1 >= attempts:
            raise LLMUnavailableError(
                f"The LLM server at {self.base_url} is unavailable: {failure.reason} "
                f"({attempts} attempt{'s' if attempts > 1 else ''}). Check that it is running "
                "(manage.py serve_llm, or vLLM) and DOCPROC_LLM_BASE_URL.",
                reason=failure.kind,
            ) from failure
        delay = min(_BACKOFF_FIRST_S * 2**attempt, _BACKOFF_MAX_S) * random.uniform(0.5, 1.0)
        if failure.retry_after is not None:
            delay = min(max(delay, failure.retry_after), _BACKOFF_MAX_S)
        logger.warning(
            "LLM request to %s failed (%s); retry %d of %d in %.2f s",
            url, failure.reason, attempt + 1, attempts - 1, delay,
        )  # fmt: skip
        time.sleep(delay)

    def _stream(self, body: dict[str, Any], prompt_tokens: int) -> Iterator[str | Completion]:
        url = f"{self.base_url}/chat/completions"
        attempts = self.max_retries + 1
        started = time.monotonic()
        for attempt in range(attempts):
            yielded = False
            try:
                try:
                    with self._http.stream("POST", url, json=body) as response:
                        if response.status_code >= 400:
                            response.read()
                        _raise_for_status(response, self.base_url)
                        parts: list[str] = []
                        state: dict[str, Any] = {}
                        for delta in _stream_deltas(response, state, self.base_url):
                            parts.append(delta)
                            yielded = True
                            yield delta
                except httpx.TimeoutException as exc:
                    raise _Retryable(
                        f"no data within {self.timeout_s:g} s", kind="timed out"
                    ) from exc
                except httpx.TransportError as exc:
                    raise _Retryable(_transport_reason(exc), kind=_transport_kind(exc)) from exc
            except _Retryable as failure:
                if yielded:
                    raise LLMUnavailableError(
                        f"The LLM server at {self.base_url} stopped mid-answer: {failure.reason}.",
                        reason="stopped mid-answer",
                    ) from failure
                self._after_failure(failure, attempt, attempts, url)
                continue
            text = "".join(parts)
            usage = state.get("usage") or {}
            yield Completion(
                text=text,
                finish_reason=str(state.get("finish_reason") or "unknown"),
                prompt_tokens=_int(usage.get("prompt_tokens"), prompt_tokens),
                completion_tokens=self._completion_tokens(usage, text),
                latency_s=time.monotonic() - started,
                model=str(state.get("model") or self.model),
            )
            return


def _stream_deltas(response: httpx.Response, state: dict[str, Any], where: str) -> Iterator[str]:
    """Text deltas of a server-sent-event chat stream; finish reason, usage and model go into
    ``state``. Ends at ``data: [DONE]``."""
    for line in response.iter_lines():
        if not line.startswith("data:"):
            continue  # blank separators, ": ping" comments, "event:" lines
        payload = line[len("data:") :].strip()
        if payload == "[DONE]":
            break
        try:
            chunk = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise LLMResponseError(
                f"The LLM server at {where} sent a stream that is not JSON."
            ) from exc
        if not isinstance(chunk, dict):
            raise LLMResponseError(f"The LLM server at {where} sent a stream that is not JSON.")
        if "error" in chunk:
            raise _refusal(400, _error_message(chunk), where)
        if chunk.get("model"):
            state["model"] = chunk["model"]
        if isinstance(chunk.get("usage"), dict):
            state["usage"] = chunk["usage"]
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            raise LLMResponseError(
                f"The LLM server at {where} sent a stream chunk without choices."
            )
        if not choices:
            continue  # the usage-only chunk at the end
        choice = choices[0] if isinstance(choices[0], dict) else {}
        if choice.get("finish_reason"):
            state["finish_reason"] = choice["finish_reason"]
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            delta = {}
        content = delta.get("content")
        if isinstance(content, str) and content:
            yield content
    if "finish_reason" not in state:
        raise LLMResponseError(f"The LLM server at {where} ended the stream without finishing.")


def _checked_messages(messages: Sequence[ChatMessage]) -> tuple[ChatMessage, ...]:
    """The messages as a tuple, refused here when vLLM would refuse them."""
    if isinstance(messages, str | bytes) or not messages:
        raise LLMError("A chat needs at least one message.")
    checked = tuple(messages)
    for message in checked:
        if not isinstance(message, ChatMessage):
            raise LLMError(f"Chat messages must be ChatMessage, got {type(message).__name__}.")
        if message.role not in ROLES:
            raise LLMError(
                f"Unknown chat role {message.role!r}; use one of {', '.join(sorted(ROLES))}."
            )
        if not isinstance(message.content, str):
            raise LLMError("A chat message's content must be text.")
    return checked


def _wire(message: ChatMessage) -> dict[str, str]:
    return {"role": message.role, "content": message.content}


def _raise_for_status(response: httpx.Response, where: str) -> None:
    """Nothing for 2xx; _Retryable for 429 and 5xx; the right LLMError for other refusals."""
    status = response.status_code
    if status < 300:
        return
    message = _error_message(_maybe_json(response)) or response.text.strip()[:300]
    if status == 429 or status >= 500:
        kind = "overloaded" if status in (429, 503) else "server error"
        raise _Retryable(f"HTTP {status} {message}".strip(), _retry_after(response), kind)
    raise _refusal(status, message, where)


def _refusal(status: int, message: str, where: str) -> LLMError:
    if status in (400, 413) and _OVERFLOW.search(message):
        return ContextOverflowError(f"The model's context is too small for this request: {message}")
    if status in (401, 403):
        return LLMError(
            f"The LLM server at {where} refused the credentials (HTTP {status}); "
            "check DOCPROC_LLM_API_KEY."
        )
    if status == 404 and "model" in message.lower():
        return LLMError(
            f"The LLM server at {where} does not serve that model: {message} "
            "(check DOCPROC_LLM_MODEL)."
        )
    return LLMError(f"The LLM server at {where} refused the request (HTTP {status}): {message}")


def _maybe_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_message(payload: Any) -> str:
    """The human part of an error body: ``{"error": {"message": ...}}`` (OpenAI, llama.cpp) or
    ``{"message": ...}`` (older vLLM); llama.cpp's error ``type`` is kept, it names overflow."""
    if not isinstance(payload, dict):
        return ""
    error = payload.get("error", payload)
    if isinstance(error, str):
        return error
    if not isinstance(error, dict):
        return ""
    message = str(error.get("message") or "")
    kind = error.get("type")
    return f"{message} ({kind})" if kind and message else message


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(float(response.headers.get("retry-after", "")), 0.0)
    except ValueError:
        return None


def _transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or host unreachable"
    return f"connection failed ({type(exc).__name__})"


def _transport_kind(exc: httpx.TransportError) -> str:
    return "connection refused" if isinstance(exc, httpx.ConnectError) else "connection failed"


def _json_object(response: httpx.Response, url: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as exc:
        raise LLMResponseError(
            f"The LLM server answered {url} with something that is not JSON."
        ) from exc
    if not isinstance(data, dict):
        raise LLMResponseError(f"The LLM server answered {url} with JSON that is not an object.")
    return data


def _first_choice(data: dict[str, Any], where: str) -> dict[str, Any]:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise LLMResponseError(f"The LLM server at {where} returned no choices.")
    return choices[0]


def _token_count(data: dict[str, Any], where: str) -> int:
    """``count`` (vLLM) or the length of ``tokens`` (both)."""
    count = data.get("count")
    if isinstance(count, int):
        return count
    if isinstance(data.get("tokens"), list):
        return len(data["tokens"])
    raise LLMResponseError(f"The LLM server at {where} did not return tokens.")


def _int(value: Any, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return default


def _check_schema(schema: dict[str, Any]) -> None:
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise LLMError(f"The JSON schema is not valid: {exc.message}") from exc


def _check_output(text: str, schema: dict[str, Any], finish_reason: str, max_tokens: int) -> None:
    """Raises LLMResponseError unless ``text`` is JSON valid against ``schema``."""
    import jsonschema

    cut = (
        f" (the output was cut off at max_tokens={max_tokens})" if finish_reason == "length" else ""
    )
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LLMResponseError(f"The model's output is not valid JSON{cut}.") from exc
    error = jsonschema.exceptions.best_match(
        jsonschema.validators.validator_for(schema)(schema).iter_errors(value)
    )
    if error is not None:
        raise LLMResponseError(
            f"The model's output does not match the schema{cut}: {error.message}"
        )


# Keyed by (pid, base_url, model, timeout_s, max_retries, api_key, context_length).
_clients: dict[tuple[int, str, str, float, int, str, int], LLMClient] = {}
_clients_lock = threading.Lock()


def client_from_settings() -> LLMClient:
    """The client configured by the ``LLM_*`` settings (the small, default model), one per
    process and configuration (so the discovered context and the connection pool are reused,
    and never shared across a fork)."""
    from django.conf import settings

    return _cached_client(
        settings.LLM_BASE_URL,
        settings.LLM_MODEL,
        settings.LLM_API_KEY,
        settings.LLM_CONTEXT_LENGTH,
    )


def large_client_from_settings() -> LLMClient | None:
    """The client of the optional large model (``LLM_LARGE_*``), or None when none is
    configured. Same timeouts and retries as the small one; its context is asked of it."""
    from django.conf import settings

    if not settings.LLM_LARGE_BASE_URL:
        return None
    return _cached_client(
        settings.LLM_LARGE_BASE_URL,
        settings.LLM_LARGE_MODEL or settings.LLM_MODEL,
        settings.LLM_LARGE_API_KEY,
        settings.LLM_LARGE_CONTEXT_LENGTH,
    )


def _cached_client(base_url: str, model: str, api_key: str, context_length: int) -> LLMClient:
    import os

    from django.conf import settings

    key = (
        os.getpid(),
        base_url,
        model,
        settings.LLM_TIMEOUT_S,
        settings.LLM_MAX_RETRIES,
        api_key,
        context_length,
    )
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = LLMClient(
                base_url,
                model,
                timeout_s=settings.LLM_TIMEOUT_S,
                max_retries=settings.LLM_MAX_RETRIES,
                api_key=api_key,
                context_length=context_length,
            )
            _clients[key] = client
        return client
