"""Content-addressed storage of original documents, by SHA-256.

Originals are written once (temp file, fsync, rename) and never modified; the file mode is made
read-only to say so. Several documents (in different matters) may share one blob.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


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
        if final.exists():
            tmp.unlink()
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, 0o440)
            os.replace(tmp, final)
        return StoredBlob(sha256=sha, size=size, path=final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read(sha256: str) -> bytes:
    return blob_path(sha256).read_bytes()


def remove(sha256: str) -> bool:
    """Delete a blob; returns whether a file was removed."""
    path = blob_path(sha256)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
