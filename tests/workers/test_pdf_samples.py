"""Every PDF of the shared sample set (../shared/data/pdf-samples: 31 files from many writers,
one encrypted, one damaged, several only pictures) ends in a sensible state through the real
pipeline: a Celery worker parsing in its sandbox, OCR, the embedding model and FAISS.

Indexed if it has text; ``needs_password`` and then indexed once the password is supplied
through the API; failed with a reason naming why otherwise. About 100 s on two cores (one
117-page PDF to embed, six OCR'd pictures), so it is marked ``slow``.
"""

from __future__ import annotations

import shutil

import pytest
from rest_framework.test import APIClient

from docproc.models import Document, Role
from docproc.services import ingestion, matters, storage
from tests.conftest import wait_until_final
from tests.factories import rows
from tests.support.paths import REPO

SAMPLES = REPO.parent / "shared" / "data" / "pdf-samples"

pytestmark = [
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("celery_worker", "fresh_indexes"),
    pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no PDF samples at {SAMPLES}"),
]

ENCRYPTED = "005-libreoffice-writer-password/libreoffice-writer-password.pdf"
# The user password its README names ("permissionpassword", the owner password, opens it too).
PASSWORD = "openpassword"
DAMAGED = {
    "017-unreadable-meta-data/unreadablemetadata.pdf": (
        "The PDF is damaged or truncated and could not be read: Invalid object in /Pages"
    ),
}
# Pictures without any text in them (a photo, a drawing, 11-pixel test images): OCR reads
# them and finds nothing, which the reason says.
PICTURES = {
    "007-imagemagick-images/imagemagick-ASCII85Decode.pdf",
    "007-imagemagick-images/imagemagick-CCITTFaxDecode.pdf",
    "007-imagemagick-images/imagemagick-lzw.pdf",
    "019-grayscale-image/grayscale-image.pdf",
    "023-cmyk-image/cmyk-image.pdf",
}
NO_TEXT_IN_PICTURE = (
    "No text could be extracted from this document: OCR read its 1 scanned page(s) and found "
    "no text in them (they may be photos or drawings)."
)


def sample_names() -> list[str]:
    return sorted(str(path.relative_to(SAMPLES)) for path in SAMPLES.rglob("*.pdf"))


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_every_sample_pdf_ends_indexed_failed_with_a_reason_or_indexed_after_its_password():
    matter = matters.get_or_create_matter("pdf-samples")[0]
    editor = rows.make_user("sample-editor")
    rows.make_membership(matter, editor, Role.EDITOR)
    documents = {
        name: ingestion.submit(
            matter, name.rsplit("/", 1)[-1], [(SAMPLES / name).read_bytes()]
        ).document
        for name in sample_names()
    }
    assert len(documents) == 31

    final = wait_until_final([d.pk for d in documents.values()], timeout=600)
    states = {name: (final[d.pk].status, final[d.pk].reason) for name, d in documents.items()}

    expected = {
        name: ("indexed", states[name][1] if states[name][0] == "indexed" else "")
        for name in documents
    }
    expected.update({name: ("failed", reason) for name, reason in DAMAGED.items()})
    expected.update({name: ("failed", NO_TEXT_IN_PICTURE) for name in PICTURES})
    expected[ENCRYPTED] = (
        "needs_password",
        "This PDF is encrypted. Supply its password to process it.",
    )
    assert states == expected

    client = APIClient()
    client.force_authenticate(editor)
    encrypted = documents[ENCRYPTED]
    response = client.post(
        f"/api/v1/documents/{encrypted.pk}/password/", {"password": PASSWORD}, format="json"
    )
    assert response.status_code == 202
    unlocked = wait_until_final([encrypted.pk], timeout=120)[encrypted.pk]
    assert (unlocked.status, unlocked.page_count, unlocked.pending_password) == ("indexed", 1, "")
    for name, document in documents.items():
        assert storage.read(document.sha256) == (SAMPLES / name).read_bytes()
    assert Document.objects.filter(matter=matter, status="indexed").count() == 31 - 1 - 5
