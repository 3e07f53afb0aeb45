"""manage.py serve_llm [--model PATH] [--ctx N] [--threads N] [--parallel N] — the embedded
OpenAI-compatible LLM server (llama.cpp via xllamacpp) on DOCPROC_LLM_BASE_URL's host and port."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from docproc.pipeline.llm import server as llm_server


def local_bind_address(base_url: str) -> tuple[str, int]:
    """The loopback host and port to serve ``base_url`` on; CommandError if it is not a plain
    ``http://`` URL of this machine (a remote URL is served by someone else, e.g. vLLM)."""
    try:
        parts = urlsplit(base_url)
        port = parts.port
    except ValueError as exc:
        raise CommandError(f"DOCPROC_LLM_BASE_URL={base_url!r} is not a valid URL.") from exc
    host = parts.hostname or ""
    if parts.scheme != "http":
        raise CommandError(
            f"DOCPROC_LLM_BASE_URL={base_url!r}: the embedded server speaks plain http on this "
            "machine only; use http://127.0.0.1:PORT/v1."
        )
    if host == "localhost":
        host = "127.0.0.1"
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        raise CommandError(
            f"DOCPROC_LLM_BASE_URL={base_url!r} is not an address on this machine, so a server "
            "started here would not be the one docproc calls. Point it at "
            "http://127.0.0.1:PORT/v1 to serve the embedded model, or run the LLM server "
            "(vLLM) where that URL points."
        )
    return host, port or 80


class Command(BaseCommand):
    help = (
        "Serve the embedded LLM (llama.cpp, SmolLM2 by default) with an OpenAI-compatible API on "
        "DOCPROC_LLM_BASE_URL's host and port, until stopped (SIGTERM or Ctrl-C). Prints one "
        "JSON line when it answers."
    )
    requires_system_checks: list[str] = []  # starts fast; it uses no database

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--model",
            type=Path,
            default=None,
            help="GGUF file (default: DOCPROC_LLM_SERVE_MODEL_PATH, else the bundled SmolLM2)",
        )
        parser.add_argument(
            "--ctx",
            type=int,
            default=None,
            help="context per request in tokens (default: DOCPROC_LLM_SERVE_CTX)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="CPU threads (default: DOCPROC_LLM_SERVE_THREADS)",
        )
        parser.add_argument(
            "--parallel", type=int, default=1, help="requests served at once (default 1)"
        )

    def handle(self, *args, **options) -> None:
        host, port = local_bind_address(settings.LLM_BASE_URL)
        n_ctx = options["ctx"] or settings.LLM_SERVE_CTX
        threads = options["threads"] or settings.LLM_SERVE_THREADS
        try:
            model = options["model"] or (
                Path(settings.LLM_SERVE_MODEL_PATH)
                if settings.LLM_SERVE_MODEL_PATH
                else llm_server.default_model_path()
            )
            model = model.expanduser().resolve()

            def announce(url: str) -> None:
                line = {
                    "serving": str(model),
                    "model": settings.LLM_MODEL,
                    "base_url": f"{url}/v1",
                    "context": n_ctx,
                    "parallel": options["parallel"],
                    "threads": threads,
                }
                self.stdout.write(json.dumps(line))
                self.stdout.flush()

            llm_server.serve(
                model,
                host,
                port,
                n_ctx,
                threads,
                parallel=options["parallel"],
                model_alias=settings.LLM_MODEL,
                api_key=settings.LLM_API_KEY,
                on_ready=announce,
            )
        except llm_server.LLMServerError as exc:
            raise CommandError(str(exc)) from exc
