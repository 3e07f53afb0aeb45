"""Time from upload to "Ready" shown in the staff UI, for a 20-page text PDF, against the
server-side time the same document took from created to indexed, measured in the same run.

    .venv/bin/python bench/ui_upload_to_indexed.py [--pages 20] [--runs 3]

The service runs for real: gunicorn on a free loopback port (as scripts/run.sh starts it, with
whitenoise serving the collected static files), a real Celery worker, the configured database
(DOCPROC_BENCH_DATABASE_URL, default .../docproc_bench) and Redis database 13 (bench/harness.py).
Headless chromium (tests/browser/chromium.py) signs in, opens a fresh matter's page and hands
the PDF to its file input. The page itself timestamps the file input's change event and, with a
MutationObserver, the moment the document's row first reads "Ready", so the figure includes the
upload, the processing and the page's own refresh interval, but no WebDriver polling.

The server-side baseline is ``indexed_at - created_at`` of the same document. The breakdown
compares browser and server timestamps on the same clock: "upload" is file chosen -> row
created, "shown" is indexed -> "Ready" on screen (mostly matter.js's poll interval).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from harness import BENCH_DIR, REPO, prepare_database, start_worker, unique_slug
from ingest_throughput import make_long_pdf

# Set up in the page before the file is chosen: epoch milliseconds of each moment, on the
# browser's clock (performance.timeOrigin + performance.now(), the same wall clock as Django's).
INSTRUMENT = """
var b = window.__bench = {chosen: null, received: null, row: null, ready: null, documentId: null};
function now() { return performance.timeOrigin + performance.now(); }
document.getElementById("upload-input").addEventListener("change", function () {
  if (b.chosen === null) b.chosen = now();
}, true);
function look() {
  var item = document.querySelector('#upload-list li[data-state="received"]');
  if (b.received === null && item) b.received = now();
  var row = document.querySelector('#documents tr[data-document-id]:not([data-document-id="0"])');
  if (b.row === null && row) { b.row = now(); b.documentId = row.getAttribute("data-document-id"); }
  var status = row && row.querySelector('[data-field="status"]');
  if (b.ready === null && status && status.textContent.trim() === "Ready") b.ready = now();
}
new MutationObserver(look).observe(document.body,
  {subtree: true, childList: true, characterData: true, attributes: true});
"""


@dataclass(frozen=True)
class Run:
    ui_s: float  # file chosen -> "Ready" on screen
    server_s: float  # created_at -> indexed_at
    upload_s: float  # file chosen -> created_at
    shown_s: float  # indexed_at -> "Ready" on screen
    pages: int
    chunks: int


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_web(port: int) -> subprocess.Popen:
    """gunicorn as scripts/run.sh starts it (gunicorn.conf.py), on this benchmark's
    environment; waits for /healthz (database and Redis reachable) to answer 200."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    log = (BENCH_DIR / "web.log").open("wb")
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "docproc.wsgi", "--bind", f"127.0.0.1:{port}"]
        + ["--config", str(REPO / "gunicorn.conf.py")],
        cwd=REPO,
        env=dict(os.environ),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {BENCH_DIR / 'web.log'}")
        try:
            with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return web
        except OSError:
            pass
        time.sleep(0.3)
    stop(web)
    raise RuntimeError(f"gunicorn did not answer within 60 s; see {BENCH_DIR / 'web.log'}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def sign_in(driver, base_url: str, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    driver.get(base_url + "/login/")
    driver.find_element(By.ID, "id_username").send_keys(username)
    password_box = driver.find_element(By.ID, "id_password")
    password_box.send_keys(password)
    password_box.submit()
    WebDriverWait(driver, 30).until(lambda d: "/login/" not in d.current_url)


def upload_once(driver, base_url: str, user, pdf: Path, label: str) -> Run:
    """Upload ``pdf`` into a new matter through its page; the page's timestamps and the row's."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    from docproc.models import Document, Matter, Membership, Role

    matter = Matter.objects.create(slug=unique_slug(label), name=f"Benchmark {label}")
    Membership.objects.create(matter=matter, user=user, role=Role.EDITOR)
    driver.get(f"{base_url}/matters/{matter.pk}/")
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "upload-input"))
    driver.execute_script(INSTRUMENT)

    driver.find_element(By.ID, "upload-input").send_keys(str(pdf))
    WebDriverWait(driver, 900, poll_frequency=0.5).until(
        lambda d: d.execute_script("return window.__bench.ready;") is not None
    )
    marks = driver.execute_script("return window.__bench;")

    document = Document.objects.get(matter=matter)
    if document.status != "indexed" or document.indexed_at is None:
        raise RuntimeError(f"{pdf.name}: {document.status} {document.reason}")
    if str(document.pk) != marks["documentId"]:
        raise RuntimeError(f"the page showed document {marks['documentId']}, not {document.pk}")
    # Aware datetimes (USE_TZ): timestamp() is epoch time, as the browser's marks are.
    created_ms = document.created_at.timestamp() * 1000
    indexed_ms = document.indexed_at.timestamp() * 1000
    return Run(
        ui_s=(marks["ready"] - marks["chosen"]) / 1000,
        server_s=(indexed_ms - created_ms) / 1000,
        upload_s=(created_ms - marks["chosen"]) / 1000,
        shown_s=(marks["ready"] - indexed_ms) / 1000,
        pages=document.page_count or 0,
        chunks=document.chunk_count or 0,
    )


def report(pages: int, runs: list[Run], web_port: int) -> None:
    def median(values):
        return statistics.median(values)

    print(f"\n== upload -> 'Ready' in the UI, {pages}-page text PDF ({len(runs)} runs)")
    print(f"service: gunicorn (gunicorn.conf.py) on 127.0.0.1:{web_port}, one Celery worker")
    for number, run in enumerate(runs, start=1):
        print(
            f"  run {number}: UI {run.ui_s:.2f} s | server created->indexed {run.server_s:.2f} s"
            f" | upload {run.upload_s:.2f} s, indexed->shown {run.shown_s:.2f} s"
            f" | {run.pages} pages, {run.chunks} passages"
        )
    ui = median([r.ui_s for r in runs])
    server = median([r.server_s for r in runs])
    print(f"median time from upload to 'Ready' visible in the UI: {ui:.2f} s")
    print(f"median server-side time created -> indexed (baseline): {server:.2f} s")
    print(
        f"median UI overhead: {median([r.ui_s - r.server_s for r in runs]):.2f} s"
        f" (upload {median([r.upload_s for r in runs]):.2f} s,"
        f" indexed -> shown {median([r.shown_s for r in runs]):.2f} s:"
        " mostly the interval at which the page refreshes its list)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from django.contrib.auth import get_user_model

    from tests.browser.chromium import Chromium

    prepare_database()
    pdf = BENCH_DIR / f"{args.pages}-page-contract.pdf"
    pdf.write_bytes(make_long_pdf(args.pages))
    warm_pdf = BENCH_DIR / "warm-up.pdf"
    warm_pdf.write_bytes(make_long_pdf(1))
    password = secrets.token_urlsafe(16)
    user = get_user_model().objects.create_user(unique_slug("bench-ui"), password=password)

    port = free_port()
    worker = start_worker()
    web = start_web(port)
    browser = None
    try:
        browser = Chromium(width=1366, height=900)
        base_url = f"http://127.0.0.1:{port}"
        sign_in(browser.driver, base_url, user.username, password)
        # Not counted: the worker's first document and gunicorn's first pages.
        upload_once(browser.driver, base_url, user, warm_pdf, "bench-ui-warm")
        runs = [
            upload_once(browser.driver, base_url, user, pdf, f"bench-ui-{number}")
            for number in range(1, args.runs + 1)
        ]
        report(args.pages, runs, port)
    finally:
        if browser is not None:
            browser.quit()
        stop(web)
        worker.stop()


if __name__ == "__main__":
    main()
