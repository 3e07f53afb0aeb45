"""Legal holds from the staff pages: a matter's managers place a hold (with a reason) on the
matter or one document and release it; while it is on, the matter and document pages say
"On legal hold since … by …: reason", every deletion is refused in the hold's words, and the
held documents stay readable. Placing and releasing are audited, and so is every refusal."""

from __future__ import annotations

import pytest
from django.utils import dateformat, timezone

from docproc.models import Document, LegalHold, Matter
from tests.web.audit_records import denials, events, text

pytestmark = pytest.mark.django_db


def since(hold: LegalHold) -> str:
    return dateformat.format(timezone.localtime(hold.placed_at), "j M Y H:i")


def test_a_manager_places_a_hold_on_the_matter_and_the_page_says_who_when_and_why(
    signed_in, manager, matter, make_document
):
    make_document("lease.pdf")

    response = signed_in(manager).post(
        f"/matters/{matter.pk}/hold/", {"reason": "Litigation v Acme, 2026"}, follow=True
    )

    hold = LegalHold.objects.get()
    assert (hold.matter, hold.placed_by, hold.reason) == (
        matter,
        manager,
        "Litigation v Acme, 2026",
    )
    assert response.redirect_chain == [(f"/matters/{matter.pk}/", 302)]
    page = text(response)
    assert f"On legal hold since {since(hold)} by manager: Litigation v Acme, 2026." in page
    assert "On legal hold (with the matter): it cannot be deleted." in page
    assert "Deleting is refused while a legal hold is on: release it first." in page
    assert 'data-action="delete"' not in response.content.decode()
    [placed] = events("hold_change")
    assert (placed.actor_name, placed.details["change"], placed.details["on"]) == (
        "manager",
        "placed",
        "matter",
    )
    assert placed.details["reason"] == "Litigation v Acme, 2026"


def test_a_hold_needs_a_reason(signed_in, manager, matter):
    response = signed_in(manager).post(f"/matters/{matter.pk}/hold/", {"reason": "  "})

    assert response.status_code == 400
    assert LegalHold.objects.count() == 0


def test_a_held_matter_cannot_be_deleted_and_the_refusal_quotes_the_hold(
    signed_in, manager, matter, make_document
):
    make_document("lease.pdf")
    client = signed_in(manager)
    client.post(f"/matters/{matter.pk}/hold/", {"reason": "Regulator's request"})
    hold = LegalHold.objects.get()
    refusal = (
        f"Matter smith-v-jones is under a legal hold placed by manager on "
        f"{hold.placed_at:%Y-%m-%d} (Regulator's request)."
    )

    page = client.get(f"/matters/{matter.pk}/delete/")
    response = client.post(f"/matters/{matter.pk}/delete/", {"confirm": "smith-v-jones"})

    assert "This matter cannot be deleted. " + refusal in text(page)
    assert "Delete the matter permanently" not in text(page)
    assert response.status_code == 409
    assert refusal in text(response)
    assert Matter.objects.filter(pk=matter.pk).exists()
    assert Document.objects.count() == 1
    assert events("matter_delete") == []


def test_a_document_of_a_held_matter_cannot_be_deleted_but_stays_readable(
    signed_in, manager, matter, make_document
):
    document = make_document("lease.pdf", pages=["The rent is due monthly."])
    client = signed_in(manager)
    client.post(f"/matters/{matter.pk}/hold/", {"reason": "Audit"})

    refused = client.post(f"/documents/{document.pk}/delete/")
    shown = client.get(f"/documents/{document.pk}/")

    assert refused.status_code == 409
    assert "It cannot be deleted. Matter smith-v-jones is under a legal hold placed by manager" in (
        text(refused)
    )
    assert Document.objects.filter(pk=document.pk).exists()
    assert shown.status_code == 200
    assert "The rent is due monthly." in text(shown)
    assert "(a hold on the whole matter). It cannot be deleted until the hold is released." in (
        text(shown)
    )


def test_releasing_the_hold_lets_the_matter_be_deleted_again(signed_in, manager, matter):
    client = signed_in(manager)
    client.post(f"/matters/{matter.pk}/hold/", {"reason": "Audit"})

    response = client.post(
        f"/matters/{matter.pk}/hold/release/", {"reason": "Audit closed"}, follow=True
    )

    hold = LegalHold.objects.get()
    assert (hold.released_by, hold.release_reason) == (manager, "Audit closed")
    assert "Released the legal hold on the matter smith-v-jones." in text(response)
    assert "On legal hold" not in text(response)
    assert [e.details["change"] for e in events("hold_change")] == ["placed", "released"]
    deleted = client.post(f"/matters/{matter.pk}/delete/", {"confirm": "smith-v-jones"})
    assert deleted.status_code == 200
    assert not Matter.objects.filter(pk=matter.pk).exists()


def test_a_hold_on_one_document_blocks_only_that_document(
    signed_in, manager, matter, make_document
):
    held = make_document("held.pdf")
    free = make_document("free.pdf")
    client = signed_in(manager)

    placed = client.post(f"/documents/{held.pk}/hold/", {"reason": "Subpoena 12"}, follow=True)

    hold = LegalHold.objects.get()
    assert hold.document == held
    assert placed.redirect_chain == [(f"/documents/{held.pk}/", 302)]
    assert f"On legal hold since {since(hold)} by manager: Subpoena 12." in text(placed)
    matter_page = text(client.get(f"/matters/{matter.pk}/"))
    assert "1 document of this matter is on legal hold." in matter_page
    assert "On legal hold: it cannot be deleted." in matter_page
    assert client.post(f"/documents/{held.pk}/delete/").status_code == 409
    assert client.post(f"/documents/{free.pk}/delete/").status_code == 302
    assert list(Document.objects.values_list("filename", flat=True)) == ["held.pdf"]
    whole = client.post(f"/matters/{matter.pk}/delete/", {"confirm": "smith-v-jones"})
    assert whole.status_code == 409
    assert "Document held.pdf is under a legal hold placed by manager" in text(whole)


def test_releasing_a_documents_hold_lets_it_be_deleted(signed_in, manager, matter, make_document):
    document = make_document("held.pdf")
    client = signed_in(manager)
    client.post(f"/documents/{document.pk}/hold/", {"reason": "Subpoena 12"})

    client.post(f"/documents/{document.pk}/hold/release/", {"reason": "Withdrawn"})
    response = client.post(f"/documents/{document.pk}/delete/")

    assert response.status_code == 302
    assert not Document.objects.filter(pk=document.pk).exists()
    released = events("hold_change")[1]
    assert (released.details["change"], released.details["on"], released.details["reason"]) == (
        "released",
        "document",
        "Withdrawn",
    )


def test_placing_a_second_hold_says_the_first_is_on(signed_in, manager, matter):
    client = signed_in(manager)
    client.post(f"/matters/{matter.pk}/hold/", {"reason": "First"})

    response = client.post(f"/matters/{matter.pk}/hold/", {"reason": "Second"})

    assert response.status_code == 409
    assert "The matter smith-v-jones is already under a legal hold." in text(response)
    assert LegalHold.objects.count() == 1


def test_releasing_when_nothing_is_held_says_so(signed_in, manager, matter):
    response = signed_in(manager).post(f"/matters/{matter.pk}/hold/release/", {"reason": ""})

    assert response.status_code == 409
    assert "The matter smith-v-jones is not under a legal hold." in text(response)


@pytest.mark.parametrize("path", ["hold", "hold/release"])
def test_an_editor_cannot_place_or_release_holds_and_it_is_audited(
    signed_in, editor, matter, make_document, path
):
    document = make_document("lease.pdf")

    on_matter = signed_in(editor).post(f"/matters/{matter.pk}/{path}/", {"reason": "Mine"})
    on_document = signed_in(editor).post(f"/documents/{document.pk}/{path}/", {"reason": "Mine"})

    for response in (on_matter, on_document):
        assert response.status_code == 403
        assert "Only the matter's managers can place or release legal holds." in text(response)
    assert LegalHold.objects.count() == 0
    assert denials() == [("editor", "needs the manager role", 403)] * 2


def test_an_outsider_is_told_the_held_objects_do_not_exist(
    signed_in, outsider, matter, make_document
):
    document = make_document("lease.pdf")

    responses = [
        signed_in(outsider).post(f"/matters/{matter.pk}/hold/", {"reason": "x"}),
        signed_in(outsider).post(f"/documents/{document.pk}/hold/", {"reason": "x"}),
    ]

    assert [r.status_code for r in responses] == [404, 404]
    assert LegalHold.objects.count() == 0
    assert [d[1:] for d in denials()] == [("outside the user's matters", 404)] * 2
