"""How every hostile or broken input ends: uploaded through the API, processed by a real worker.

The inputs are the hostile files tests/factories/files.py builds (ZIP, XML-entity and PDF
bombs, cyclic and deeply nested PDFs, HTML and e-mail with scripts and remote resources,
empty, garbage, truncated and mislabelled files, names that try path traversal or carry
control characters) and every PDF in ../shared/data/pdf-samples (the encrypted one is given
its password through the API once it asks for it). For each it prints the state it ended in,
the reason, and the seconds from upload to that state (queueing included: all are uploaded
at once, then two worker children process them); then the totals: inputs, crashes (an input
left unfinished, or failed with an internal error), worker deaths (a worker child whose pid
changed) and HTTP 500s.

    DOCPROC_BENCH_REDIS_URL=redis://127.0.0.1:6379/7 \\
    DOCPROC_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_hostile_bench \\
    .venv/bin/python bench/hostile_inputs.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

from harness import SHARED_DATA, prepare_database, start_worker, unique_slug

SAMPLES = SHARED_DATA / "pdf-samples"
SAMPLE_PASSWORD = "openpassword"  # 005-libreoffice-writer-password/README.md
INTERNAL_ERROR = "An internal error stopped processing"


def hostile_inputs() -> list[tuple[str, Callable[[], bytes]]]:
    """(file name as uploaded, a function building its bytes), for every hostile case."""
    from tests.factories import files

    text_pdf = files.make_text_pdf(["The tenant shall pay rent monthly.", "Clause 4.2 applies."])
    docx = files.make_docx(["Text."])
    one_part = files.with_zip_member(docx, "word/media/big.bin", b"x" * 1000)
    three_parts = docx
    for n in range(3):
        three_parts = files.with_zip_member(three_parts, f"word/media/p{n}.bin", b"x" * 1000)
    return [
        ("zip-bomb.docx", lambda: files.make_zip_bomb_docx(64)),
        (
            "part-declared-300MB.docx",
            lambda: files.declaring_unpacked_sizes(one_part, {"word/media/big.bin": 300 << 20}),
        ),
        (
            "parts-declared-600MB.docx",
            lambda: files.declaring_unpacked_sizes(
                three_parts, {f"word/media/p{n}.bin": 200 << 20 for n in range(3)}
            ),
        ),
        ("billion-laughs.docx", lambda: files.make_billion_laughs("docx")),
        ("billion-laughs.pptx", lambda: files.make_billion_laughs("pptx")),
        ("billion-laughs.xlsx", lambda: files.make_billion_laughs("xlsx")),
        ("flate-bomb.pdf", lambda: files.make_pdf_flate_bomb(80)),
        ("cyclic-page-tree.pdf", files.make_pdf_with_cyclic_page_tree),
        ("cyclic-outline.pdf", files.make_pdf_with_cyclic_outline),
        ("page-tree-5000-deep.pdf", files.make_pdf_with_deep_page_tree),
        ("content-nested-100000-deep.pdf", files.make_pdf_with_deeply_nested_content),
        ("script-and-remote-images.html", lambda: files.HOSTILE_HTML),
        ("script-and-remote-images.eml", files.make_hostile_eml),
        ("empty.pdf", lambda: b""),
        ("garbage.pdf", lambda: bytes(range(256)) * 64),
        ("truncated.pdf", lambda: files.truncate(text_pdf, len(text_pdf) // 2)),
        ("truncated.docx", lambda: files.truncate(docx, len(docx) // 2)),
        ("word-named.pdf", lambda: files.make_docx(["A Word file named .pdf."])),
        ("../../etc/passwd.txt", lambda: b"A file named to climb out of the store.\n"),
        ("..\\..\\windows.txt", lambda: b"A file named with backslashes.\n"),
        ("ctrl\x07\x1b[31mred\x00nul.txt", lambda: b"A file named with control characters.\n"),
        ("a" * 800 + ".txt", lambda: b"A file with an 800-character name.\n"),
    ]


def wait_each(started: dict[int, float], timeout: float):
    """Poll until every document is final; returns them and when each was first seen final."""
    from docproc.models import Document
    from docproc.models.documents import FINAL_STATUSES

    ended: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        documents = {d.pk: d for d in Document.objects.filter(pk__in=list(started))}
        now = time.monotonic()
        for pk, document in documents.items():
            if document.status in FINAL_STATUSES:
                ended.setdefault(pk, now)
        if len(ended) == len(started):
            return documents, ended
        time.sleep(0.05)
    raise TimeoutError("documents did not finish")


def upload(client, matter, name: str, data: bytes):
    boundary = "hostile-inputs-bench"
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{escaped}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.generic(
        "POST",
        f"/api/v1/matters/{matter.pk}/documents/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def main() -> None:
    prepare_database()
    from rest_framework.test import APIClient

    from docproc.services import matters

    matter = matters.get_or_create_matter(unique_slug("hostile"))[0]
    membership, _ = matters.add_member(matter, f"{matter.slug}-editor", "editor")
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(membership.user)

    inputs = hostile_inputs()
    uploaded_as = {name: name for name, _ in inputs}  # a sample goes up under its own name
    if SAMPLES.is_dir():
        for path in sorted(SAMPLES.rglob("*.pdf")):
            inputs.append((str(path.relative_to(SAMPLES)), path.read_bytes))
            uploaded_as[str(path.relative_to(SAMPLES))] = path.name
    worker = start_worker(concurrency=2)
    pids_before = sorted(worker.pids())
    errors_500 = 0
    started: dict[int, float] = {}
    names: dict[int, str] = {}
    ended_at_upload: dict[int, float] = {}
    refused: list[tuple[str, int, str]] = []
    try:
        for name, build in inputs:
            data = build()
            began = time.monotonic()
            response = upload(client, matter, uploaded_as[name], data)
            if response.status_code >= 500:
                errors_500 += 1
            if response.status_code not in (200, 201):
                refused.append((name, response.status_code, response.content[:200].decode()))
                continue
            document_id = response.json()["id"]
            started.setdefault(document_id, began)
            names.setdefault(document_id, name)
            if response.json()["final"]:  # refused at upload: it ended with the response
                ended_at_upload.setdefault(document_id, time.monotonic())
        final, ended = wait_each(started, timeout=1800)
        ended.update(ended_at_upload)
        for pk, document in list(final.items()):
            if document.status == "needs_password":
                response = client.post(
                    f"/api/v1/documents/{pk}/password/",
                    {"password": SAMPLE_PASSWORD},
                    format="json",
                )
                errors_500 += response.status_code >= 500
                started[pk] = time.monotonic()  # its time is from the password on
                unlocked, unlocked_at = wait_each({pk: started[pk]}, timeout=600)
                final[pk], ended[pk] = unlocked[pk], unlocked_at[pk]
        pids_after = sorted(worker.pids())
    finally:
        worker.stop()

    crashes = 0
    for pk, document in sorted(final.items()):
        reason = " ".join(document.reason.split())
        if document.status not in ("indexed", "failed") or reason.startswith(INTERNAL_ERROR):
            crashes += 1
        note = " (after its password)" if names[pk].startswith("005-") else ""
        kept = document.filename
        kept = kept if len(kept) <= 40 else f"{kept[:20]}...{kept[-8:]} ({len(kept)} chars)"
        shown = repr(names[pk])[1:-1]
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        print(
            f"{shown:60s} {document.status}{note} in {ended[pk] - started[pk]:5.1f} s"
            f" (kept as {kept!r}, {document.file_type})" + (f": {reason}" if reason else "")
        )
    for name, code, body in refused:
        print(f"{repr(name)[1:-1][:60]:60s} refused with HTTP {code}: {body}")
    deaths = len(set(pids_before) - set(pids_after))
    print(
        f"{len(inputs)} inputs ({len(final)} documents, {len(refused)} refused at upload), "
        f"{crashes} crashes, {deaths} worker deaths, {errors_500} 500s"
    )


if __name__ == "__main__":
    main()
