"""Hostile uploads through the API: names that try to escape or break the page, empty files, and
HTML/e-mail carrying scripts and remote resources. Each is stored safely, shown escaped, served
back only as an attachment, and its text is read without running or fetching anything."""

from __future__ import annotations

import socket
from email.message import Message

import pytest
from django.test import Client

from docproc.models import Document, DocumentStatus
from docproc.services import ingestion, storage
from tests.factories.files import HOSTILE_HTML, make_hostile_eml

pytestmark = pytest.mark.django_db

TEXT = b"The lessee shall keep the premises in good repair.\n"


BOUNDARY = "hostile-boundary-7MA4YWxkTrZu0gW"


def upload(client, matter, name: str, content: bytes = TEXT):
    """POST one file as raw multipart, its name sent byte for byte as given (the test client's
    own files would strip the path from it before the server ever saw it)."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    body = (
        (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{escaped}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return client.generic(
        "POST",
        f"/api/v1/matters/{matter.pk}/documents/",
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\x.txt", "x.txt"),
        ("/var/lib/docproc/blobs/evil.txt", "evil.txt"),
        ("bell\x07and\x1bescape.txt", "bellandescape.txt"),
        ("nul\x00byte.txt", "nulbyte.txt"),
        ("right\u202eto-left.txt", "rightto-left.txt"),
    ],
)
def test_an_uploaded_name_is_kept_as_its_last_component_without_control_characters(
    api_as, editor, matter, sent, kept
):
    response = upload(api_as(editor), matter, sent)

    assert response.status_code == 201
    assert response.json()["filename"] == kept
    assert Document.objects.get(pk=response.json()["id"]).filename == kept


def test_an_800_character_name_is_cut_to_255_keeping_its_extension(api_as, editor, matter):
    response = upload(api_as(editor), matter, "a" * 796 + ".txt")

    assert response.status_code == 201
    assert response.json()["filename"] == "a" * 251 + ".txt"
    assert response.json()["file_type"] == "txt"


def test_a_thousand_character_name_is_a_400_saying_why_and_nothing_is_kept(api_as, editor, matter):
    """Django's multipart parser caps a part's headers at 1,024 bytes, file name included."""
    response = upload(api_as(editor), matter, "a" * 996 + ".txt")

    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "detail": "Multipart form parse error - Request max total header size exceeded.",
    }
    assert Document.objects.count() == 0


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\x.pdf", "x.pdf"),
        ("a\x00b\x1f\x7fc\u2066.pdf", "abc.pdf"),
        (".", "upload"),
        ("", "upload"),
        ("b" * 1000, "b" * 255),
        ("c" * 300 + ".markdown", "c" * 246 + ".markdown"),
    ],
)
def test_the_service_makes_any_name_safe_whichever_door_it_came_through(sent, kept):
    assert ingestion.safe_filename(sent) == kept


def test_an_empty_upload_is_kept_as_failed_saying_it_is_empty(api_as, editor, matter, enqueued):
    response = upload(api_as(editor), matter, "empty.pdf", b"")

    assert response.status_code == 201
    assert response.json()["status"] == "failed"
    assert response.json()["reason"] == "The file is empty (0 bytes)."
    assert enqueued == []


@pytest.mark.parametrize(
    "sent", ['quote"semi;colon=x.txt', "naïve café.txt", 'x.txt"; filename="evil.exe']
)
def test_a_hostile_name_is_downloaded_with_a_content_disposition_that_gives_it_back_exactly(
    api_as, editor, viewer, matter, sent
):
    document_id = upload(api_as(editor), matter, sent).json()["id"]
    kept = Document.objects.get(pk=document_id).filename

    response = api_as(viewer).get(f"/api/v1/documents/{document_id}/original/")

    header = Message()
    header["Content-Disposition"] = response["Content-Disposition"]
    assert header.get_content_disposition() == "attachment"
    assert header.get_filename() == kept == sent
    assert [name for name, _ in header.get_params(header="content-disposition")][1:] in (
        ["filename"],
        ["filename*"],
    )
    assert b"".join(response.streaming_content) == TEXT


def test_a_name_that_is_only_dots_is_refused_or_kept_as_upload(api_as, editor, matter):
    response = upload(api_as(editor), matter, "..")

    assert response.status_code in (201, 400)
    if response.status_code == 201:
        assert response.json()["filename"] == "upload"
    else:
        assert Document.objects.count() == 0


def test_an_uploaded_html_original_is_served_as_an_attachment_never_sniffed(
    api_as, editor, viewer, matter
):
    document_id = upload(api_as(editor), matter, "invoice.html", HOSTILE_HTML).json()["id"]

    response = api_as(viewer).get(f"/api/v1/documents/{document_id}/original/")

    assert response["Content-Type"] == "text/html"
    assert response["Content-Disposition"] == 'attachment; filename="invoice.html"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_name_with_markup_is_shown_escaped_on_the_matter_page(editor, matter, api_as):
    upload(api_as(editor), matter, "<img src=x onerror=alert(1)>.txt")
    client = Client()
    client.force_login(editor)

    html = client.get(f"/matters/{matter.pk}/").content.decode()

    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in html
    assert "<img src=x onerror" not in html


@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to open a connection or resolve a name is recorded and refused."""
    attempts: list[str] = []

    def refuse(*args, **kwargs):
        attempts.append(repr(args[:2]))
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.mark.parametrize(
    ("name", "content"),
    [("invoice.html", HOSTILE_HTML), ("invoice.eml", make_hostile_eml())],
)
def test_html_and_email_with_scripts_and_remote_images_give_their_text_and_fetch_nothing(
    api_as, editor, matter, settings, name, content, no_network
):
    settings.PARSE_TIMEOUT_S = 120
    document_id = upload(api_as(editor), matter, name, content).json()["id"]

    assert ingestion.parse(document_id)

    document = Document.objects.get(pk=document_id)
    text = "\n".join(page.text for page in document.pages.all())
    assert document.status == DocumentStatus.CHUNKING
    assert "Invoice total is 420 pounds." in text
    assert "SCRIPT-RAN" not in text and "document.write" not in text
    assert "ONCLICK-RAN" not in text and "127.0.0.1:9" not in text
    assert no_network == []
    assert storage.read(document.sha256) == content
