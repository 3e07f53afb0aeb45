"""Content-addressed storage of original documents, by SHA-256.

Originals are written once (temp file, fsync, rename) and never modified; the file mode is made
read-only to say so. Several documents (in different matters) may share one blob.

A blob is removed only when no document refers to it and no upload is on its way to doing so.
``store`` pins the blob for the upload that stored it (under the blob's lock, in the same step
that finds or writes the file) until the upload calls ``release`` once its document is
committed; ``remove_unreferenced`` checks pins and references under the same lock. So an upload
of the same bytes between a deletion's reference check and its removal cannot lose its blob.
``remove_unreferenced_many`` does the same for a batch (a purge of thousands of documents) under
one lock taken for all of the batch's blobs, with one pin check and one reference check.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from docproc.services import locks

# Longer than any upload takes from storing its bytes to committing its document: a pin left by
# an upload that died on the way lapses after this.
PIN_SECONDS = 900


class UploadTooLargeError(Exception):
    """The upload exceeds ``DOCPROC_MAX_UPLOAD_BYTES``."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The file is larger than the limit of {limit:,} bytes.")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class StoredBlob:
    sha256: str
    size: int
    path: Path
    pin: str = field(default="", compare=False)  # held for the upload until ``release``


def blob_path(sha256: str) -> Path:
    return Path(settings.BLOB_DIR) / sha256[:2] / sha256[2:4] / sha256


def store(pieces: Iterable[bytes], max_bytes: int) -> StoredBlob:
    """Stream bytes into the store, hashing as they arrive; refuses more than ``max_bytes``."""
    root = Path(settings.BLOB_DIR)
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=root, prefix=".upload-", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in pieces:
                size += len(piece)
                if size > max_bytes:
                    raise UploadTooLargeError(max_bytes)
                digest.update(piece)
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        sha = digest.hexdigest()
        final = blob_path(sha)
        with locks.blob(sha) as client:
            if final.exists():
                tmp.unlink()
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(tmp, 0o440)
                os.replace(tmp, final)
            pin = uuid.uuid4().hex
            key = _pins(sha)
            client.zadd(key, {pin: time.time() + PIN_SECONDS})
            client.expire(key, PIN_SECONDS)
        return StoredBlob(sha256=sha, size=size, path=final, pin=pin)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read(sha256: str) -> bytes:
    return blob_path(sha256).read_bytes()


def _pins(sha256: str) -> str:
    return f"docproc:blob-pins:{sha256}"


def release(blob: StoredBlob) -> None:
    """The upload that stored ``blob`` is done with it: its document is committed (which now
    keeps the blob) or it gave up."""
    if blob.pin:
        with locks.blob(blob.sha256) as client:
            client.zrem(_pins(blob.sha256), blob.pin)


def remove_unreferenced(sha256: str, referenced: Callable[[], bool]) -> bool:
    """Delete a blob unless ``referenced()`` (asked under the blob's lock, after the caller's
    own change is committed) or an upload of the same bytes holds a pin on it. Returns whether
    a file was removed."""
    with locks.blob(sha256) as client:
        key = _pins(sha256)
        client.zremrangebyscore(key, "-inf", time.time())  # pins of uploads that died
        if client.zcard(key) or referenced():
            return False
        return remove(sha256)


# Blobs per lock and reference query in ``remove_unreferenced_many``: one Redis script and one
# database query each, well within the lock's minute.
REMOVE_BATCH = 500


def remove_unreferenced_many(
    sha256s: Iterable[str], referenced: Callable[[list[str]], set[str]]
) -> set[str]:
    """``remove_unreferenced`` for many blobs, a batch at a time: each batch's locks are taken
    together (``locks.blobs``), their pins read in one round trip, and ``referenced(batch)``
    (the digests still referred to, asked under the locks) called once. Returns the digests
    whose file was removed."""
    wanted = sorted(set(sha256s))
    removed: set[str] = set()
    for start in range(0, len(wanted), REMOVE_BATCH):
        batch = wanted[start : start + REMOVE_BATCH]
        with locks.blobs(batch) as client:
            pipe = client.pipeline(transaction=False)
            now = time.time()
            for sha in batch:
                pipe.zremrangebyscore(_pins(sha), "-inf", now)  # pins of uploads that died
                pipe.zcard(_pins(sha))
            counts = pipe.execute()[1::2]
            pinned = {sha for sha, count in zip(batch, counts, strict=True) if count}
            free = [sha for sha in batch if sha not in pinned]
            kept = referenced(free) if free else set()
            removed.update(sha for sha in free if sha not in kept and remove(sha))
    return removed


def remove(sha256: str) -> bool:
    """Delete a blob whatever refers to it (``remove_unreferenced`` is the safe way); returns
    whether a file was removed."""
    path = blob_path(sha256)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
