"""Peak memory of the web process while it receives a 100 MiB upload, against the file's size.

An upload is streamed to disk while it is hashed (services/storage.py), and its type is sniffed
from the stored file's head, a ZIP's central directory, or a text file read in pieces
(pipeline/ingest/sniff.py ``detect_file_type``); Django spools any file over
FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file. So the web process should grow by a few MiB
whatever the size of the file. This starts gunicorn as scripts/run.sh does (one worker),
uploads a 100 MiB text file, PDF and Word document through ``POST /api/v1/matters/{id}/
documents/`` with a bearer token (the client streams each from disk), and prints the peak RSS
growth of the gunicorn worker for each (VmHWM, reset before each upload through
/proc/PID/clear_refs), and its ratio to the file size.

    DOCPROC_BENCH_REDIS_URL=redis://127.0.0.1:6379/7 \\
    DOCPROC_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_hostile_bench \\
    .venv/bin/python bench/upload_memory.py [--mib 100]
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
from harness import BENCH_DIR, REPO, prepare_database, unique_slug

BOUNDARY = "upload-memory-bench-boundary"
PIECE = 1024 * 1024


def make_text(path: Path, size: int) -> None:
    line = b"The tenant shall pay the rent on the first day of each month, in advance.\n"
    with path.open("wb") as out:
        written = 0
        while written < size:
            piece = line[: size - written]
            out.write(piece)
            written += len(piece)


def make_pdf(path: Path, size: int) -> None:
    """A valid one-page PDF padded to ``size`` bytes with an unreferenced binary stream."""
    sys.path.insert(0, str(REPO))
    from tests.factories.files import raw_pdf

    padding = size - 400  # the objects around the padding take about 400 bytes
    blob = os.urandom(PIECE)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        b"<< /Length %d >>\nstream\n" % padding
        + (blob * (padding // PIECE + 1))[:padding]
        + b"\nendstream",
    ]
    data = raw_pdf(objects)
    path.write_bytes(data[:size] if len(data) > size else data)


def make_docx(path: Path, size: int) -> None:
    """A Word document carrying ``size`` bytes of incompressible media (stored, not deflated)."""
    sys.path.insert(0, str(REPO))
    from tests.factories.files import make_docx as docx_bytes

    path.write_bytes(docx_bytes(["A contract with a large scanned exhibit."]))
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_STORED) as archive:
        with archive.open("word/media/exhibit.bin", "w", force_zip64=True) as member:
            blob = os.urandom(PIECE)
            for _ in range(size // PIECE - 1):
                member.write(blob)


def multipart(path: Path) -> tuple[Iterator[bytes], int]:
    """A multipart body streamed from ``path``, and its length."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        with path.open("rb") as source:
            while piece := source.read(PIECE):
                yield piece
        yield tail

    return body(), len(head) + path.stat().st_size + len(tail)


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS


def start_gunicorn(port: int, max_bytes: int) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        DOCPROC_WEB_WORKERS="1",
        DOCPROC_MAX_UPLOAD_BYTES=str(max_bytes),
        DOCPROC_SECRET_KEY=secrets.token_urlsafe(50),
        DOCPROC_LOG_LEVEL="WARNING",
    )
    (BENCH_DIR / "static").mkdir(exist_ok=True)
    command = [str(Path(sys.executable).parent / "gunicorn"), "docproc.wsgi"]
    command += ["--bind", f"127.0.0.1:{port}", "--config", str(REPO / "gunicorn.conf.py")]
    log = (BENCH_DIR / "gunicorn.log").open("wb")
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=100, help="size of each upload in MiB")
    args = parser.parse_args()
    size = args.mib * 1024 * 1024

    prepare_database()
    from docproc.services import matters, tokens

    matter = matters.get_or_create_matter(unique_slug("upload-memory"))[0]
    membership, _ = matters.add_member(matter, f"{matter.slug}-editor", "editor")
    token = tokens.create_token(membership.user, "read,write", [matter], name="bench").plaintext

    files = []
    for name, make in (("big.txt", make_text), ("big.pdf", make_pdf), ("big.docx", make_docx)):
        path = BENCH_DIR / name
        make(path, size)
        files.append(path)

    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = start_gunicorn(port, 2 * size)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit((BENCH_DIR / "gunicorn.log").read_text()[-3000:])
            time.sleep(0.3)
        (worker,) = psutil.Process(server.pid).children()
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        }
        url = f"{base}/api/v1/matters/{matter.pk}/documents/"
        with httpx.Client(timeout=300) as client:
            # Warm up: the first request loads the code an upload runs.
            warm = BENCH_DIR / "warm.txt"
            make_text(warm, 4096)
            body, length = multipart(warm)
            client.post(url, content=body, headers={**headers, "Content-Length": str(length)})
            print(f"web worker pid {worker.pid}; uploads of {args.mib} MiB each")
            for path in files:
                body, length = multipart(path)
                rss_before = status_kib(worker.pid, "VmRSS")
                reset_peak(worker.pid)
                started = time.perf_counter()
                response = client.post(
                    url, content=body, headers={**headers, "Content-Length": str(length)}
                )
                seconds = time.perf_counter() - started
                peak = status_kib(worker.pid, "VmHWM")
                growth_mib = (peak - rss_before) / 1024
                reply = response.json()
                print(
                    f"{path.name:9s} HTTP {response.status_code} type={reply.get('file_type')} "
                    f"status={reply.get('status')} in {seconds:.1f} s; web worker RSS before "
                    f"{rss_before / 1024:.0f} MiB, peak growth {growth_mib:.1f} MiB "
                    f"= {growth_mib / args.mib:.3f} x the file size"
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
        import redis

        redis.Redis.from_url(os.environ["DOCPROC_REDIS_URL"]).flushdb()  # the queued tasks


if __name__ == "__main__":
    main()
