"""The matter page's markup contract with its scripts (matter.js, upload.js) and their browser
tests: the document table is always there, each row carries its id, state and fields, editors
get the drop zone, the row buttons and the dialogs, viewers get none of them; search hits have
the query's words marked."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from docproc.models import DocumentStatus, Role
from tests.factories.files import make_text_pdf

pytestmark = pytest.mark.django_db


def page_of(user, matter, **query) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/matters/{matter.pk}/", query)
    assert response.status_code == 200
    return response.content.decode()


def row_of(html: str, document_id: int) -> str:
    match = re.search(rf'<tr data-document-id="{document_id}".*?</tr>', html, re.S)
    assert match, f"no row for document {document_id}"
    return match.group()


def test_empty_matter_still_renders_the_table_with_an_empty_state_row(viewer, matter):
    html = page_of(viewer, matter)

    assert '<table id="documents"' in html
    assert f'data-documents-url="/api/v1/matters/{matter.pk}/documents/"' in html
    assert '<tr id="documents-empty" class="empty-state">' in html
    assert "No documents yet." in html
    assert re.findall(r'<tr data-document-id="(\d+)"', html) == ["0"]  # only the prototype


def test_empty_state_row_is_hidden_when_there_are_documents(viewer, matter, make_document):
    make_document("lease.pdf")

    html = page_of(viewer, matter)

    assert '<tr id="documents-empty" class="empty-state" hidden>' in html


def test_each_row_carries_its_id_state_and_fields(viewer, matter, make_document):
    document = make_document(
        "lease.pdf", status=DocumentStatus.FAILED, reason="The file is empty (0 bytes)."
    )

    row = row_of(page_of(viewer, matter), document.pk)

    assert 'data-final="true"' in row and 'data-status="failed"' in row
    assert f'<a href="/documents/{document.pk}/" id="document-{document.pk}-name"' in row
    assert '<span class="status status-failed" data-field="status">Failed</span>' in row
    assert '<td data-field="reason" data-label="Details">The file is empty (0 bytes).</td>' in row
    assert '<td data-field="pages" data-label="Pages" class="number">—</td>' in row
    assert '<td data-field="chunks" data-label="Passages" class="number">—</td>' in row


def test_processing_states_are_in_words_and_not_final(viewer, matter, make_document):
    document = make_document("deed.pdf", status=DocumentStatus.EMBEDDING)

    row = row_of(page_of(viewer, matter), document.pk)

    assert 'data-final="false"' in row
    assert ">Preparing for search</span>" in row


def test_editor_sees_drop_zone_upload_list_and_both_dialogs(editor, matter):
    html = page_of(editor, matter)

    assert '<div id="drop-zone" class="drop-zone">' in html
    assert '<label for="upload-input">Files to upload</label>' in html
    assert re.search(r'<input type="file" name="files" multiple id="upload-input"[^>]*>', html)
    assert f'data-upload-url="/api/v1/matters/{matter.pk}/documents/"' in html
    assert '<ul id="upload-list"' in html
    assert '<dialog id="password-dialog"' in html
    assert '<label for="password-input">Password</label>' in html
    assert '<dialog id="delete-dialog"' in html
    assert "It cannot be undone." in html
    assert 'src="/static/docproc/upload.js"' in html


def test_editor_rows_have_delete_and_only_locked_rows_show_enter_password(
    editor, matter, make_document
):
    locked = make_document("locked.pdf", status=DocumentStatus.NEEDS_PASSWORD)
    ready = make_document("ready.pdf")

    html = page_of(editor, matter)
    locked_row, ready_row = row_of(html, locked.pk), row_of(html, ready.pk)

    assert (
        f'<form method="get" action="/documents/{locked.pk}/password/" data-action="password">'
        in locked_row
    )
    assert (
        f'<form method="get" action="/documents/{ready.pk}/password/" data-action="password"'
        " hidden>" in ready_row
    )
    for document, row in ((locked, locked_row), (ready, ready_row)):
        assert f'action="/documents/{document.pk}/delete/" data-action="delete"' in row
        assert ">Enter password</button>" in row and ">Delete</button>" in row


def test_the_row_prototype_for_the_script_points_at_document_zero(editor, matter):
    html = page_of(editor, matter)

    template = re.search(r'<template id="document-row-template">(.*?)</template>', html, re.S)
    assert template
    assert '<tr data-document-id="0"' in template.group(1)
    assert 'action="/documents/0/delete/"' in template.group(1)
    assert 'data-api-document-url="/api/v1/documents/0/"' in html
    assert 'data-api-password-url="/api/v1/documents/0/password/"' in html


def test_viewer_gets_no_upload_delete_or_password_controls(viewer, matter, make_document):
    make_document("locked.pdf", status=DocumentStatus.NEEDS_PASSWORD)

    html = page_of(viewer, matter)

    for absent in (
        'id="drop-zone"',
        'id="upload-input"',
        'type="file"',
        'id="upload-list"',
        "<dialog",
        'data-action="delete"',
        'data-action="password"',
        "Enter password",
        ">Delete",
        "upload.js",
    ):
        assert absent not in html, absent
    assert 'src="/static/docproc/matter.js"' in html


def test_search_hits_mark_the_query_words_and_escape_the_text(viewer, matter, index_document):
    pdf = make_text_pdf(["The Rent is <b>due</b> monthly; late rent costs 5% a month."])
    index_document(matter.slug, "lease.pdf", pdf)

    html = page_of(viewer, matter, q="rent")

    hit = re.search(r'<blockquote class="hit-text">(.*?)</blockquote>', html, re.S)
    assert hit, "no hit shown"
    assert hit.group(1) == (
        "The <mark>Rent</mark> is &lt;b&gt;due&lt;/b&gt; monthly; late <mark>rent</mark> costs "
        "5% a month."
    )


def test_manager_sees_the_same_controls_as_an_editor(make_member, matter):
    manager = make_member(Role.MANAGER, username="boss")

    html = page_of(manager, matter)

    assert '<div id="drop-zone" class="drop-zone">' in html
    assert '<dialog id="delete-dialog"' in html
