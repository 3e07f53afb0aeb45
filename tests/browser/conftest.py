"""Fixtures of the browser tests: the real service behind pytest-django's live server (its
threads run in this process, so ``settings`` overrides apply to them), the real Celery worker
of ``tests/conftest.py`` on the same test database, the tiny LLM server for answers, and a
headless chromium driven by Selenium.

The live server needs a transactional database: what a test creates is committed, so the
worker (another process) sees it, and the tables are emptied after each test.

Screenshots go to ``test-artifacts/screenshots/<test>-<step>.png``: one at each step a test
names, and one more (with the page's HTML next to it) when a test fails, so CI keeps them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from tests.api.conftest import (  # noqa: F401  (fixtures are found by name)
    PASSWORD,
    make_document,
    make_member,
    make_user,
    manager,
    matter,
    viewer,
)
from tests.browser import chromium
from tests.support.paths import REPO

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
WAIT_S = 10.0  # a page's own scripts: rendering, a fetch to this machine
OFF = ("0", "false", "no", "off")
PROCESSING_WAIT_S = 120.0  # upload to "Ready" through the worker, on a busy 2-core machine
ANSWER_WAIT_S = 60.0  # question to answer; the first also loads the embedding model


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real headless chromium (Selenium)")


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    opted_out = os.environ.get("DOCPROC_BROWSER_TESTS", "true").lower() in OFF
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if opted_out:
                item.add_marker(pytest.mark.skip(reason="DOCPROC_BROWSER_TESTS is off"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """When a test fails, photograph the page as it was (the browser is still open)."""
    report = yield
    browser = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if report.failed and report.when in ("setup", "call") and isinstance(browser, Browser):
        browser.shot("failure", with_html=True)
    return report


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")


class Browser:
    """A chromium tab on the live server, with explicit waits and named screenshots."""

    def __init__(self, driver, base_url: str, test_name: str) -> None:
        self.driver = driver
        self.base_url = base_url
        self.test_name = _safe(test_name)
        self.shots: list[Path] = []

    # --- navigation and scripts ---------------------------------------------------------------
    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    @property
    def path(self) -> str:
        return self.driver.execute_script("return location.pathname + location.search")

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def resize(self, width: int, height: int = 900) -> None:
        self.driver.set_window_size(width, height)
        self.until(lambda d: d.execute_script("return window.innerWidth") == width, "resize")

    # --- waiting ------------------------------------------------------------------------------
    def until(self, condition: Callable, what: str, timeout: float = WAIT_S, poll: float = 0.1):
        """``condition(driver)``'s first truthy value; fails naming ``what`` after ``timeout``."""
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=poll).until(condition)
        except TimeoutException:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}") from None

    def find(self, css: str, timeout: float = WAIT_S) -> WebElement:
        """The first element matching ``css`` once it exists and is displayed."""

        def shown(driver):
            for element in driver.find_elements(By.CSS_SELECTOR, css):
                if element.is_displayed():
                    return element
            return None

        return self.until(shown, f"a visible {css!r}", timeout)

    def present(self, css: str, timeout: float = WAIT_S) -> WebElement:
        """The first element matching ``css`` once it exists (shown or not: file inputs)."""
        return self.until(
            lambda d: (d.find_elements(By.CSS_SELECTOR, css) or [None])[0],
            f"{css!r} in the page",
            timeout,
        )

    def all(self, css: str) -> list[WebElement]:
        """Every element matching ``css`` now (no waiting: for asserting absence)."""
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text_of(self, css: str) -> str:
        return self.js(
            "var e = document.querySelector(arguments[0]); return e ? e.textContent : null;", css
        )

    # --- the staff flows' building blocks -----------------------------------------------------
    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        """Fill the login form like a person does, and wait to leave the login page."""
        self.open("/login/")
        self.find("#id_username").send_keys(username)
        self.find("#id_password").send_keys(password)
        self.shot("login-filled")
        self.find("#id_password").submit()
        self.until(lambda d: not self.path.startswith("/login/"), "the sign-in to finish")

    def shot(self, step: str, with_html: bool = False) -> Path:
        """Save a screenshot of the viewport as ``<test>-<step>.png`` (and the HTML, if asked)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.test_name}-{_safe(step)}.png"
        try:
            self.driver.save_screenshot(str(path))
            if with_html:
                path.with_suffix(".html").write_text(self.driver.page_source)
        except Exception:  # a dead browser must not hide the test's own error
            return path
        self.shots.append(path)
        return path


@pytest.fixture
def browser(request, live_server):
    """A fresh headless chromium (1366x900, its own profile) on the live server."""
    reason = chromium.missing()
    if reason:
        pytest.fail(f"the browser tests need chromium: {reason}", pytrace=False)
    launched = chromium.Chromium(width=1366, height=900)
    try:
        yield Browser(launched.driver, live_server.url, request.node.name)
    finally:
        launched.quit()
