"""``parse.sandbox.run_limited``: work in a forked child, stopped past its time or memory
limit, with the caller unharmed."""

from __future__ import annotations

import os
import signal
import time

import pytest

from docproc.pipeline.ingest.parse.sandbox import run_limited
from docproc.pipeline.types import DocumentError, PageText, ParsedDocument, PasswordRequiredError


def test_the_result_of_the_work_comes_back_from_the_child():
    parsed = ParsedDocument(pages=(PageText(number=1, text="Hello"),), warnings=("w",))

    result = run_limited(lambda: (os.getpid(), parsed), timeout_s=30, memory_mb=256)

    assert result[1] == parsed
    assert result[0] != os.getpid()


def test_a_document_error_in_the_child_is_raised_as_itself():
    def refuse():
        raise PasswordRequiredError("This PDF is encrypted.")

    with pytest.raises(PasswordRequiredError) as caught:
        run_limited(refuse, timeout_s=30, memory_mb=256)

    assert caught.value.reason == "This PDF is encrypted."


def test_work_past_the_deadline_is_stopped_with_a_reason_naming_the_limit():
    started = time.monotonic()

    with pytest.raises(DocumentError) as caught:
        run_limited(lambda: time.sleep(60), timeout_s=1, memory_mb=256)

    assert time.monotonic() - started < 10
    assert caught.value.reason.startswith("Parsing took longer than the limit of 1 s")
    assert "DOCPROC_PARSE_TIMEOUT_S" in caught.value.reason


def test_work_that_allocates_past_the_limit_is_stopped_with_a_reason_naming_the_limit():
    def allocate():
        hoard = [bytearray(16 * 1024 * 1024) for _ in range(64)]  # 1 GiB
        return len(hoard)

    with pytest.raises(DocumentError) as caught:
        run_limited(allocate, timeout_s=30, memory_mb=256)

    assert caught.value.reason.startswith("Parsing needed more than the limit of 256 MiB of memory")


def test_a_child_that_is_killed_is_reported_and_the_caller_lives_on():
    with pytest.raises(DocumentError) as caught:
        run_limited(lambda: os.kill(os.getpid(), signal.SIGKILL), timeout_s=30, memory_mb=256)

    assert caught.value.reason.startswith("The parser stopped unexpectedly (killed by SIGKILL)")
    assert run_limited(lambda: "still here", timeout_s=30, memory_mb=256) == "still here"


def test_no_child_is_left_behind_after_a_timeout():
    pids: list[int] = []
    read_fd, write_fd = os.pipe()

    def report_and_hang():
        os.write(write_fd, str(os.getpid()).encode())
        time.sleep(60)

    with pytest.raises(DocumentError):
        run_limited(report_and_hang, timeout_s=1, memory_mb=256)

    pids.append(int(os.read(read_fd, 32)))
    os.close(read_fd)
    os.close(write_fd)
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)
