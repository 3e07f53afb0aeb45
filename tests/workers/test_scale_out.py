"""The scale-out shape, proven on one machine: two web processes (gunicorn, started as
compose.yaml and scripts/run.sh start it) and two Celery workers split by queue as compose.yaml
splits them (``worker@`` on parse and embed, ``indexer@`` alone on index), sharing one PostgreSQL
database, one Redis and one data directory: what several machines share (README "Running on
several machines").

The processes start once for the module, on a Redis database of their own, so the session's
all-queue ``celery_worker`` (if another module started it) never takes one of their tasks.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from celery import Celery
from django.utils import timezone

from docproc import task_queues as queues
from docproc.models import Chunk, Document, DocumentStatus
from docproc.models.documents import FINAL_STATUSES
from docproc.pipeline import vector_index
from docproc.services import indexes, ingestion, locks, matters, memberships, tokens
from tests.conftest import spare_redis_url, wait_until_final, worker_env
from tests.factories.files import make_text_pdf
from tests.support.llm_servers import pick_free_port
from tests.support.paths import ARTIFACTS, REPO
from tests.support.worker_process import WorkerProcess

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Generous: other work may share the two cores, and a web process loads the embedder on its
# first search.
SLOW_REQUEST_S = 180.0
PROCESSING_S = 240.0


class WebProcess:
    """``gunicorn docproc.wsgi --config gunicorn.conf.py`` on a free loopback port, as
    scripts/run.sh and compose.yaml start it, in its own process group, logging to ``log_path``."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.url = f"http://127.0.0.1:{pick_free_port()}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "docproc.wsgi",
                "--config=gunicorn.conf.py",
                f"--bind={self.url.removeprefix('http://')}",
            ],
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Return once ``/healthz`` answers 200 (the database and Redis are reachable)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"web server exited:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2.0, trust_env=False).is_success:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"web server did not answer within {timeout}s:\n{self.log()}")
            time.sleep(0.2)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # gunicorn's master stops its workers on SIGTERM
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@dataclass(frozen=True)
class Cluster:
    """The running processes of the module and the Redis database they share."""

    redis_url: str
    webs: tuple[WebProcess, WebProcess]
    worker: WorkerProcess  # parse and embed queues
    indexer: WorkerProcess  # index queue only, one process: the single writer
    control: Celery  # a client of the cluster's broker, for pings and inspection


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker, isolated_storage, isolated_redis):
    redis_url = spare_redis_url(2)
    env = worker_env(isolated_storage, redis_url)
    # As in compose.yaml, only the data directory is named: blobs and indexes live under it.
    for name in ("BLOB_DIR", "INDEX_DIR", "SECRET_KEY"):
        env.pop(f"DOCPROC_{name}", None)
        env.pop(f"DOCPROC_{name}_FILE", None)
    env.update(
        DOCPROC_SECRET_KEY=secrets.token_urlsafe(50),  # one key for every process
        DOCPROC_WEB_WORKERS="1",  # one gunicorn worker each: one reader cache per web process
        DOCPROC_WEB_THREADS="4",
        DOCPROC_LOG_LEVEL="INFO",
    )
    (isolated_storage / "static").mkdir(exist_ok=True)  # whitenoise warns without it
    ARTIFACTS.mkdir(exist_ok=True)
    control = Celery("scale-out-control", broker=redis_url)
    started = []
    try:
        worker = WorkerProcess(
            env,
            ARTIFACTS / "scale-out-worker.log",
            concurrency=2,
            queues=(queues.PARSE, queues.EMBED),
            name="worker@%h",
        )
        started.append(worker)
        indexer = WorkerProcess(
            env,
            ARTIFACTS / "scale-out-indexer.log",
            concurrency=1,
            queues=(queues.INDEX,),
            name="indexer@%h",
        )
        started.append(indexer)
        webs = tuple(WebProcess(env, ARTIFACTS / f"scale-out-web-{n}.log") for n in (1, 2))
        started.extend(webs)
        for process in started:
            if isinstance(process, WorkerProcess):
                process.wait_ready(control, timeout=PROCESSING_S)
            else:
                process.wait_ready()
        yield Cluster(redis_url, webs, worker, indexer, control)
    finally:
        for process in reversed(started):
            process.stop()
        control.close()


@pytest.fixture
def editor_api(transactional_db):
    """``editor_api(slug)``: a new matter and the headers of an API token of one of its
    editors (scopes read, write, ask), which either web process accepts."""

    def make(slug: str) -> tuple:
        matter = matters.get_or_create_matter(slug)[0]
        membership, _ = memberships.add_member(matter, f"{slug}-editor", "editor")
        issued = tokens.create_token(membership.user, "read,write,ask", [matter])
        return matter, {"Authorization": f"Bearer {issued.plaintext}"}

    return make


@pytest.fixture
def locks_on_cluster_redis(cluster, settings):
    """Index locks taken in this test process are the cluster's locks."""
    settings.REDIS_URL = cluster.redis_url
    locks._client.cache_clear()
    yield
    locks._client.cache_clear()


# --- documents and API calls ------------------------------------------------------------------


def subject_pdf(subject: str) -> bytes:
    """Three pages about one ``subject`` and nothing else, so a search for it finds this
    document first."""
    pages = [
        f"{page}. THE {subject.upper()}\n\n"
        + " ".join(
            f"Clause {page}.{n}: the {subject} keeper inspects the {subject} on day "
            f"{page * 10 + n} and writes the state of the {subject} in the {subject} ledger."
            for n in range(1, 7)
        )
        for page in (1, 2, 3)
    ]
    return make_text_pdf(pages)


def upload(web: WebProcess, headers: dict, matter, filename: str, data: bytes) -> int:
    """POST one file to the matter through ``web``; the new document's id."""
    response = httpx.post(
        f"{web.url}/api/v1/matters/{matter.pk}/documents/",
        headers=headers,
        files={"file": (filename, data, "application/pdf")},
        timeout=SLOW_REQUEST_S,
        trust_env=False,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def top_document(web: WebProcess, headers: dict, matter, query: str) -> int | None:
    """The document of the best hit of an API search through ``web`` (None: no hit)."""
    response = httpx.post(
        f"{web.url}/api/v1/matters/{matter.pk}/search/",
        headers=headers,
        json={"query": query, "k": 3},
        timeout=SLOW_REQUEST_S,
        trust_env=False,
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    return results[0]["document"] if results else None


def wait_until_indexed_via(web: WebProcess, headers: dict, document_id: int) -> None:
    """Poll the document through ``web``'s API until it is indexed."""
    deadline = time.monotonic() + PROCESSING_S
    while True:
        response = httpx.get(
            f"{web.url}/api/v1/documents/{document_id}/",
            headers=headers,
            timeout=SLOW_REQUEST_S,
            trust_env=False,
        )
        assert response.status_code == 200, response.text
        state = response.json()
        if state["status"] == DocumentStatus.INDEXED:
            return
        assert not state["final"], f"document {document_id} ended {state['status']}: {state}"
        assert time.monotonic() < deadline, f"document {document_id} not indexed: {state}"
        time.sleep(0.1)


def chunk_counts_of_undisturbed_ingestion(files: dict[str, bytes], monkeypatch) -> dict[str, int]:
    """How many chunks each file gets when this process alone parses and chunks it, in a matter
    of its own (embedding and indexing do not change the count)."""
    monkeypatch.setattr(ingestion, "enqueue_processing", lambda document_id: None)
    reference = matters.get_or_create_matter("scale-out-reference")[0]
    counts = {}
    for filename, data in files.items():
        document = ingestion.submit(reference, filename, [data]).document
        assert ingestion.parse(document.pk) and ingestion.chunk(document.pk)
        counts[filename] = Chunk.objects.filter(document=document).count()
    return counts


def vectors_held(matter) -> Counter:
    """How many times the matter's index on the shared disk holds each chunk id."""
    return Counter(int(i) for i in indexes._load(matter.pk).ids())


def chunks_of(matter) -> Counter:
    return Counter(Chunk.objects.filter(document__matter=matter).values_list("pk", flat=True))


def tasks_succeeded(worker: WorkerProcess) -> set[str]:
    """Names of the tasks the worker's log says it finished."""
    log = worker.log_path.read_text(errors="replace")
    return set(re.findall(r"Task workers\.tasks\.(\w+)\[[^\]]+\] succeeded", log))


def wait_until_running(cluster: Cluster, node: WorkerProcess, task: str, document_id: int) -> None:
    """Poll ``node`` until it is running ``task`` for the document."""
    deadline = time.monotonic() + PROCESSING_S
    inspect = cluster.control.control.inspect(destination=[node.node_name], timeout=1.0)
    while True:
        active = (inspect.active() or {}).get(node.node_name, [])
        if any(t["name"] == task and list(t["args"]) == [document_id] for t in active):
            return
        assert time.monotonic() < deadline, f"{node.node_name} never ran {task}({document_id})"


# --- the tests --------------------------------------------------------------------------------


def test_uploads_through_both_web_processes_at_once_are_each_indexed_exactly_once(
    cluster, editor_api, monkeypatch
):
    matter, headers = editor_api("scale-out-uploads")
    files = {f"{subject}.pdf": subject_pdf(subject) for subject in ("glacier", "orchard")}
    files |= {f"{subject}.pdf": subject_pdf(subject) for subject in ("vineyard", "monastery")}
    expected_chunks = chunk_counts_of_undisturbed_ingestion(files, monkeypatch)
    routes = [(cluster.webs[n % 2], name, data) for n, (name, data) in enumerate(files.items())]

    with ThreadPoolExecutor(len(routes)) as pool:
        uploads = [pool.submit(upload, web, headers, matter, *file) for web, *file in routes]
        ids = [future.result() for future in uploads]
    documents = wait_until_final(ids, timeout=PROCESSING_S)

    chunk_rows = Counter(
        Chunk.objects.filter(document__matter=matter).values_list("document__filename", flat=True)
    )
    assert {d.filename: (d.status, d.chunk_count) for d in documents.values()} == {
        name: (DocumentStatus.INDEXED, count) for name, count in expected_chunks.items()
    }
    assert chunk_rows == expected_chunks
    assert vectors_held(matter) == chunks_of(matter)  # each chunk once, nothing else
    # Each stage ran where compose.yaml routes it.
    assert tasks_succeeded(cluster.indexer) == {"index_document"}
    assert tasks_succeeded(cluster.worker) == {
        "parse_document",
        "chunk_document",
        "embed_document",
        "embed_chunks",
    }


def test_search_on_either_web_process_sees_a_document_as_soon_as_it_is_indexed(cluster, editor_api):
    matter, headers = editor_api("scale-out-search")
    first, second = cluster.webs
    # Given: both web processes have searched the matter, each keeping its index as it was.
    glacier = upload(first, headers, matter, "glacier.pdf", subject_pdf("glacier"))
    wait_until_indexed_via(second, headers, glacier)
    for web in cluster.webs:
        assert top_document(web, headers, matter, "glacier ledger") == glacier

    for receiver, searcher, subject in ((first, second, "lighthouse"), (second, first, "orchard")):
        # When: a document arrives through one web process and becomes indexed,
        document_id = upload(receiver, headers, matter, f"{subject}.pdf", subject_pdf(subject))
        wait_until_indexed_via(searcher, headers, document_id)
        # then the other one's very next search finds it.
        assert top_document(searcher, headers, matter, f"{subject} ledger") == document_id


def test_index_lock_held_by_another_process_makes_the_indexer_wait(
    cluster, editor_api, locks_on_cluster_redis
):
    matter, headers = editor_api("scale-out-lock")
    index_path = indexes.index_dir(matter.pk)

    with locks.index_writer(matter.pk):
        document_id = upload(cluster.webs[0], headers, matter, "quarry.pdf", subject_pdf("quarry"))
        wait_until_running(cluster, cluster.indexer, "workers.tasks.index_document", document_id)
        # That nothing happens takes time to show: the running task gets 3 s, hundreds of times
        # what writing a small document's vectors takes, and must not write.
        held_until = time.monotonic() + 3.0
        while time.monotonic() < held_until:
            status = Document.objects.get(pk=document_id).status
            assert status != DocumentStatus.INDEXED, "indexed while another process held the lock"
            assert vector_index.stamp(index_path) is None, "index written under another's lock"
            time.sleep(0.1)
        released_at = timezone.now()

    final = wait_until_final([document_id], timeout=PROCESSING_S)[document_id]
    assert final.status == DocumentStatus.INDEXED
    assert final.indexed_at > released_at
    assert vectors_held(matter) == chunks_of(matter)


def test_indexer_and_another_process_writing_one_index_at_once_lose_no_vectors(
    cluster, editor_api, locks_on_cluster_redis
):
    matter, headers = editor_api("scale-out-writers")
    first, second = cluster.webs
    anchor = upload(first, headers, matter, "aqueduct.pdf", subject_pdf("aqueduct"))
    wait_until_final([anchor], timeout=PROCESSING_S)
    subjects = ("harbour", "observatory", "railway", "granary")
    with ThreadPoolExecutor(len(subjects)) as pool:
        uploads = [
            pool.submit(upload, web, headers, matter, f"{subject}.pdf", subject_pdf(subject))
            for web, subject in zip((first, second) * 2, subjects, strict=True)
        ]
        ids = [future.result() for future in uploads]

    # When: while the indexer adds those documents, this process rewrites the anchor's vectors
    # over and over, each time loading, changing and saving the whole index of the matter.
    rewrites_from = timezone.now()
    while Document.objects.filter(pk__in=ids).exclude(status__in=FINAL_STATUSES).exists():
        assert ingestion.index(anchor) is True
    rewrites_until = timezone.now()

    documents = wait_until_final(ids, timeout=PROCESSING_S)
    assert [d.status for d in documents.values()] == [DocumentStatus.INDEXED] * len(ids)
    # Every one of the indexer's writes fell among this process's rewrites,
    assert all(rewrites_from < d.indexed_at < rewrites_until for d in documents.values())
    # and not one of its vectors was lost (or doubled).
    assert vectors_held(matter) == chunks_of(matter)
