"""A real OpenID Connect provider (django-oidc-provider, ``tests/signin/oidc_provider/``) in its
own process on a free loopback port: prepared (tables, signing key, docproc's client, people)
and served by Django's development server; stopped and removed afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.support.llm_servers import pick_free_port
from tests.support.paths import REPO

SETTINGS = "tests.signin.oidc_provider.settings"


def available() -> str | None:
    """None if django-oidc-provider is installed, else why not."""
    try:
        import oidc_provider  # noqa: F401
    except ImportError:
        return "django-oidc-provider is not installed (requirements-dev.txt)"
    return None


class OidcProviderProcess:
    def __init__(self, client_id: str, secret: str, redirect_uri: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="docproc-oidc-"))
        self.port = pick_free_port()
        self.site_url = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.site_url}/openid"
        self.environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "OIDC_TEST_DIR": str(self.root),
            "OIDC_TEST_SITE_URL": self.site_url,
        }
        for name in [n for n in self.environment if n.startswith("DOCPROC_")]:
            del self.environment[name]
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.signin.oidc_provider.prepare",
                client_id,
                secret,
                redirect_uri,
            ],
            cwd=REPO,
            env=self.environment,
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.log = (self.root / "provider.log").open("wb")
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "django",
                "runserver",
                f"127.0.0.1:{self.port}",
                "--noreload",
                "--nothreading",
            ],
            cwd=REPO,
            env=self.environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the provider exited: {self.log_text()}")
            try:
                url = f"{self.issuer}/.well-known/openid-configuration"
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.close()
        raise RuntimeError(f"the provider did not answer within {timeout} s")

    def log_text(self) -> str:
        self.log.flush()
        return (self.root / "provider.log").read_text(errors="replace")[-4000:]

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)
