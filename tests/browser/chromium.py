"""Start Debian's headless chromium under Selenium, offline: the browser tests and the UI
benchmark drive the same browser the same way.

Selenium is given both binaries (``/usr/bin/chromium`` and the matching ``chromedriver`` from
the ``chromium-driver`` package), so selenium-manager never runs and nothing is downloaded. Every
browser gets a fresh profile directory, and the switches that make chromium phone home
(component updates, sync, background networking) are off.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path(os.environ.get("DOCPROC_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("DOCPROC_CHROMEDRIVER", "/usr/bin/chromedriver"))

SWITCHES = (
    "--headless=new",
    "--no-sandbox",  # CI runs as root, where chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--password-store=basic",
    "--lang=en-GB",
)


class ChromiumMissingError(RuntimeError):
    """chromium or chromedriver is not installed where expected."""


def missing() -> str | None:
    """Why chromium cannot start here (a sentence), or None when both binaries are present."""
    for binary, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            return f"{binary} not found: apt-get install -y chromium chromium-driver ({package})"
    return None


class Chromium:
    """One headless chromium with its own throw-away profile; ``quit()`` removes both."""

    def __init__(self, width: int = 1366, height: int = 900) -> None:
        reason = missing()
        if reason:
            raise ChromiumMissingError(reason)
        self.profile = Path(tempfile.mkdtemp(prefix="docproc-chromium-"))
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for switch in SWITCHES:
            options.add_argument(switch)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.add_argument(f"--window-size={width},{height}")
        service = Service(str(CHROMEDRIVER), log_output=os.devnull)
        try:
            self.driver = webdriver.Chrome(service=service, options=options)
        except Exception:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        # Explicit waits only: an implicit wait would slow every "is it absent?" check.
        self.driver.implicitly_wait(0)

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)
