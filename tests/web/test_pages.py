"""The staff UI: login, the matter list, a matter's page (upload, documents, search) and a
document's text, each for members only."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from docproc.models import Document, DocumentStatus
from tests.api.conftest import PASSWORD
from tests.factories.files import make_text_pdf

pytestmark = pytest.mark.django_db


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_login_page_renders_a_labelled_form():
    response = Client().get("/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_signing_in_leads_to_the_matter_list(viewer, matter):
    response = Client().post("/login/", {"username": "viewer", "password": PASSWORD}, follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert "Smith v Jones" in response.content.decode()


def test_anonymous_visitor_is_sent_to_login(matter):
    response = Client().get(f"/matters/{matter.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/matters/{matter.pk}/"


def test_signing_out_needs_a_post_and_returns_to_login(viewer):
    response = client_as(viewer).post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"


def test_home_lists_only_the_users_matters(viewer, matter, other_matter):
    response = client_as(viewer).get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Smith v Jones" in html
    assert "Acme audit" not in html


def test_matter_page_lists_documents_with_status_in_words(viewer, matter, make_document):
    make_document("lease.pdf", status=DocumentStatus.FAILED, reason="The file is empty.")
    make_document("deed.pdf", status=DocumentStatus.PARSING)

    response = client_as(viewer).get(f"/matters/{matter.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "lease.pdf" in html and "deed.pdf" in html
    assert ">Failed</span>" in html
    assert "The file is empty." in html
    assert ">Reading the text</span>" in html
    assert "1 document still being processed" in html
    assert f'data-documents-url="/api/v1/matters/{matter.pk}/documents/"' in html


def test_matter_page_is_404_for_a_non_member(outsider, matter, make_document):
    make_document("lease.pdf")

    response = client_as(outsider).get(f"/matters/{matter.pk}/")

    assert response.status_code == 404
    assert b"lease.pdf" not in response.content
    assert response["Content-Type"].startswith("text/html")


def test_viewer_sees_no_upload_form_and_cannot_post_one(viewer, matter):
    client = client_as(viewer)

    page = client.get(f"/matters/{matter.pk}/")
    posted = client.post(
        f"/matters/{matter.pk}/", {"files": SimpleUploadedFile("a.pdf", b"%PDF-1.4")}
    )

    assert 'enctype="multipart/form-data"' not in page.content.decode()
    assert posted.status_code == 403
    assert Document.objects.count() == 0


def test_editor_uploads_several_files_through_the_form(
    editor, matter, enqueued, django_capture_on_commit_callbacks
):
    first = make_text_pdf(["Web upload one."])
    second = make_text_pdf(["Web upload two."])
    client = client_as(editor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/matters/{matter.pk}/",
            {
                "files": [
                    SimpleUploadedFile("one.pdf", first),
                    SimpleUploadedFile("two.pdf", second),
                ]
            },
            follow=True,
        )

    assert response.redirect_chain == [(f"/matters/{matter.pk}/", 302)]
    assert "Received 2 new files: one.pdf, two.pdf." in response.content.decode()
    documents = Document.objects.filter(matter=matter).order_by("filename")
    assert [(d.filename, d.status) for d in documents] == [
        ("one.pdf", "received"),
        ("two.pdf", "received"),
    ]
    assert sorted(enqueued) == sorted(d.pk for d in documents)


def test_uploading_the_same_file_again_says_it_is_already_there(
    editor, matter, enqueued, django_capture_on_commit_callbacks
):
    content = make_text_pdf(["Web duplicate."])
    client = client_as(editor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/matters/{matter.pk}/", {"files": SimpleUploadedFile("d.pdf", content)})
        response = client.post(
            f"/matters/{matter.pk}/", {"files": SimpleUploadedFile("d.pdf", content)}, follow=True
        )

    assert "Already in this matter (not uploaded again): d.pdf." in response.content.decode()
    assert len(enqueued) == 1


def test_upload_over_the_limit_shows_an_error_and_keeps_nothing(editor, matter, settings):
    settings.MAX_UPLOAD_BYTES = 10

    response = client_as(editor).post(
        f"/matters/{matter.pk}/", {"files": SimpleUploadedFile("big.pdf", b"%PDF-1.4 " * 10)}
    )

    assert response.status_code == 413
    assert "big.pdf is larger than the limit of 10 bytes; nothing was uploaded." in (
        response.content.decode()
    )
    assert Document.objects.count() == 0


def test_upload_without_files_is_400_with_the_error_shown(editor, matter):
    response = client_as(editor).post(f"/matters/{matter.pk}/", {})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_search_box_says_when_nothing_matched(viewer, matter, fresh_indexes):
    response = client_as(viewer).get(f"/matters/{matter.pk}/", {"q": "rent"})

    assert response.status_code == 200
    assert "No passages matched." in response.content.decode()


def test_document_page_shows_text_page_by_page(viewer, make_document):
    document = make_document(pages=["Alpha page.", "Beta page."])

    response = client_as(viewer).get(f"/documents/{document.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h3 id="page-1-heading">Page 1</h3>' in html
    assert "Alpha page." in html and "Beta page." in html


def test_document_page_highlights_a_cited_passage(viewer, make_document):
    document = make_document(pages=["Rent is due monthly."])

    response = client_as(viewer).get(
        f"/documents/{document.pk}/", {"page": 1, "start": 0, "end": 4}
    )

    # The mark's attributes belong to the document page (its script scrolls to it); the
    # behaviour is that exactly the cited span is marked.
    assert re.search(r"<mark\b[^>]*>Rent</mark> is due monthly\.", response.content.decode())


def test_document_page_is_404_for_a_non_member(outsider, make_document):
    document = make_document(pages=["Confidential."])

    response = client_as(outsider).get(f"/documents/{document.pk}/")

    assert response.status_code == 404
    assert b"Confidential." not in response.content


def test_unknown_page_outside_the_api_is_html_not_json(viewer):
    response = client_as(viewer).get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
