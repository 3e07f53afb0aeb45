"""Real LLM servers for the session: ``manage.py serve_llm`` as a subprocess, once with the
deterministic tiny model (context 512) and once with the bundled SmolLM2 (context 2048).
Each fixture yields an :class:`LLMClient` for its server; ``client.base_url`` is the server's."""

from __future__ import annotations

import pytest

from docproc.pipeline.llm import LLMClient
from docproc.pipeline.llm_server import default_model_path
from tests.llm.helpers import ServeLLMProcess
from tests.llm.tiny_gguf import write_tiny_gguf

TINY_CONTEXT = 512
TINY_MODEL = "tiny-test-llama"
SMOLLM2_CONTEXT = 2048
SMOLLM2_MODEL = "SmolLM2-135M-Instruct"


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory):
    return write_tiny_gguf(tmp_path_factory.mktemp("llm") / "tiny.gguf")


@pytest.fixture(scope="session")
def tiny_llm_process(tiny_gguf):
    # One thread: the tiny model needs no more (and see smollm2_process).
    server = ServeLLMProcess(tiny_gguf, TINY_CONTEXT, "tiny", TINY_MODEL, threads=1)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tiny_llm_server(tiny_llm_process):
    """A client of the tiny model's server, which replies "one two three ... ten" to anything."""
    with LLMClient(tiny_llm_process.base_url, TINY_MODEL, timeout_s=30.0) as client:
        yield client


@pytest.fixture(scope="session")
def smollm2_process():
    # One thread: on a machine whose cores are busy (other tests, a worker), llama.cpp's second
    # spinning thread makes decoding 10-50x slower instead of faster (bench/llm_speed.py).
    server = ServeLLMProcess(
        default_model_path(), SMOLLM2_CONTEXT, "smollm2", SMOLLM2_MODEL, threads=1
    )
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def smollm2_server(smollm2_process):
    """A client of the bundled SmolLM2-135M-Instruct, served exactly as in production."""
    with LLMClient(smollm2_process.base_url, SMOLLM2_MODEL, timeout_s=60.0) as client:
        yield client
