"""Removing many stored originals at once (``storage.remove_unreferenced_many`` under
``locks.blobs``): the same rules as one at a time (a file still referred to, or pinned by an
upload on its way, stays), with one lock taken for a whole batch, all or nothing."""

from __future__ import annotations

import pytest

from docproc.models import DeletionReceipt
from docproc.pipeline.types import TransientError
from docproc.services import documents, locks, storage
from tests.factories import rows
from tests.factories.stored import make_stored_documents, write_blob

pytestmark = pytest.mark.django_db


def blobs(count: int, prefix: str = "blob") -> list[str]:
    return [write_blob(f"{prefix} {n}".encode()) for n in range(count)]


def test_unreferenced_originals_are_removed_and_named():
    digests = blobs(3)

    removed = storage.remove_unreferenced_many(digests, referenced=lambda batch: set())

    assert removed == set(digests)
    assert [storage.blob_path(d).exists() for d in digests] == [False] * 3


def test_an_original_still_referred_to_stays():
    kept, gone = blobs(2)

    removed = storage.remove_unreferenced_many([kept, gone], referenced=lambda batch: {kept})

    assert removed == {gone}
    assert (storage.blob_path(kept).exists(), storage.blob_path(gone).exists()) == (True, False)


def test_an_original_pinned_by_an_upload_on_its_way_stays_and_is_not_asked_about():
    upload = storage.store([b"bytes an upload just stored"], 1_000)
    other = blobs(1)[0]
    asked: list[list[str]] = []

    removed = storage.remove_unreferenced_many(
        [upload.sha256, other], referenced=lambda batch: asked.append(batch) or set()
    )
    storage.release(upload)

    assert (removed, asked) == ({other}, [[other]])
    assert storage.blob_path(upload.sha256).exists()


def test_the_pin_of_an_upload_that_died_does_not_keep_the_original(monkeypatch):
    monkeypatch.setattr(storage, "PIN_SECONDS", -1)  # lapsed as soon as taken
    upload = storage.store([b"an upload that never finished"], 1_000)

    removed = storage.remove_unreferenced_many([upload.sha256], referenced=lambda batch: set())

    assert removed == {upload.sha256}


def test_an_original_already_gone_is_not_counted_as_removed():
    digest = blobs(1)[0]
    storage.remove(digest)

    assert storage.remove_unreferenced_many([digest], referenced=lambda batch: set()) == set()


def test_a_large_removal_asks_about_references_once_per_batch(monkeypatch):
    monkeypatch.setattr(storage, "REMOVE_BATCH", 4)
    digests = blobs(10)
    asked: list[int] = []

    removed = storage.remove_unreferenced_many(
        digests + digests[:2], referenced=lambda batch: asked.append(len(batch)) or set()
    )

    assert (len(removed), asked) == (10, [4, 4, 2])


def test_a_batch_lock_holds_each_originals_own_lock():
    one, two = blobs(2)

    with locks.blobs([one, two]):
        with pytest.raises(TransientError, match="is busy"):
            with locks.blob(two, wait_seconds=0.2):
                pass
    with locks.blob(two, wait_seconds=0.2):
        released = True

    assert released


def test_a_batch_lock_takes_none_of_its_originals_while_one_is_held_elsewhere():
    held, free = blobs(2)

    with locks.blob(held):
        with pytest.raises(TransientError, match="2 stored originals are busy"):
            with locks.blobs([held, free], wait_seconds=0.2):
                pass
        with locks.blob(free, wait_seconds=0.2):  # not left held by the failed batch
            free_was_free = True

    assert free_was_free


def test_deleting_one_document_still_removes_its_original_and_says_so():
    matter = rows.make_matter("single")
    document = make_stored_documents(matter, 1)[0]

    receipt = documents.delete_document(document)

    assert (receipt.file_removed, storage.blob_path(document.sha256).exists()) == (True, False)
    assert DeletionReceipt.objects.get(pk=receipt.pk).file_removed is True
    assert (receipt.pages_removed, receipt.chunks_removed, receipt.vectors_removed) == (1, 2, 2)
