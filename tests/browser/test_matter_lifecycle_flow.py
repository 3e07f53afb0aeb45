"""A matter's life in a real headless chromium, as the people who run it do it: a matter
creator creates a matter and adds a colleague, who then sees it; a compliance officer screens
the colleague, who then cannot; the manager places a legal hold, and deleting the matter is
refused in the hold's words; the manager releases the hold, and deleting works, answered by the
receipt listing every document removed.

Everything behind the browser is real: the live server (this process) and PostgreSQL. No
worker is needed: the matter's document is written to the database directly."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from selenium.webdriver.support.select import Select

from docproc.models import (
    AuditEvent,
    Matter,
    MatterDeletionReceipt,
    Membership,
    Role,
    Screen,
)
from tests.factories import rows

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "brown-v-green-2026"


def _with_permission(make_user, username: str, codename: str):
    """A user holding ``docproc.<codename>`` (the tables are emptied between browser tests,
    the groups of migration 0009 with them; the permissions are made again)."""
    user = make_user(username)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="docproc", codename=codename)
    )
    return user


def sign_out(browser) -> None:
    browser.find("header form button[type=submit]").click()
    browser.until(lambda d: browser.all("#id_username") or "Sign in" in d.title, "signing out")


def submit(browser, form_css: str) -> None:
    """Submit the form and wait for the next page."""
    old = browser.find("html")
    browser.find(f"{form_css} button[type=submit]").click()
    browser.until(lambda d: not _attached(old), "the next page")


def _attached(element) -> bool:
    try:
        element.tag_name  # noqa: B018  (raises once the page has been replaced)
    except Exception:
        return False
    return True


def test_create_share_screen_hold_and_delete_a_matter_in_the_browser(browser, make_user):
    creator = _with_permission(make_user, "carol", "add_matter")
    make_user("colin")
    _with_permission(make_user, "olivia", "manage_screens")

    # Given Carol, who may create matters, on her home page
    browser.sign_in("carol")
    browser.find("#new-matter-link").click()

    # When she creates a matter
    browser.find("#id_name").send_keys("Brown v Green")
    browser.find("#id_slug").send_keys(SLUG)
    browser.find("#id_client_reference").send_keys("CL-0042")
    browser.shot("create-filled")
    submit(browser, "#matter-form")

    # Then she is on its page, as its manager
    matter = Matter.objects.get(slug=SLUG)
    assert browser.path == f"/matters/{matter.pk}/"
    assert "Created Brown v Green (brown-v-green-2026). You manage it." in browser.text_of(
        ".messages"
    )
    assert Membership.objects.get(matter=matter).user == creator
    rows.make_document(matter, "lease.pdf", pages=["The rent is due monthly."])

    # When she adds Colin as a viewer on the members page
    browser.find("#members-link").click()
    browser.find("#id_username").send_keys("colin")
    Select(browser.find("#id_role")).select_by_value("viewer")
    submit(browser, "#add-member-form")

    # Then he is listed, added by her
    assert "Added colin to brown-v-green-2026 as viewer." in browser.text_of(".messages")
    row = browser.find('#members tr[data-username="colin"]')
    assert "Viewer" in row.text and "carol" in row.text
    browser.shot("member-added")
    assert Membership.objects.get(matter=matter, user__username="colin").role == Role.VIEWER

    # And Colin sees the matter
    sign_out(browser)
    browser.sign_in("colin")
    browser.find(f'a[href="/matters/{matter.pk}/"]').click()
    browser.until(lambda d: "Brown v Green" in browser.text_of("h1"), "the matter page")
    assert "lease.pdf" in browser.text_of("#documents")

    # When Olivia, a compliance officer, screens Colin from the matter
    sign_out(browser)
    browser.sign_in("olivia")
    browser.find("#compliance-link").click()
    Select(browser.find("#id_matter")).select_by_value(str(matter.pk))
    browser.find("#id_username").send_keys("colin")
    browser.find("#id_reason").send_keys("Acted for Green in 2024")
    submit(browser, "#screen-form")

    # Then the screen is listed and Colin is no longer a member
    assert "Screened colin from brown-v-green-2026. They are no longer its viewer." in (
        browser.text_of(".messages")
    )
    assert "Acted for Green in 2024" in browser.text_of("#active-screens")
    browser.shot("screened")
    assert Screen.objects.get().user.username == "colin"

    # And Colin cannot see it: not on his home page, and its address is not found
    sign_out(browser)
    browser.sign_in("colin")
    assert not browser.all(f'a[href="/matters/{matter.pk}/"]')
    browser.open(f"/matters/{matter.pk}/")
    assert "Brown v Green" not in browser.driver.page_source
    assert AuditEvent.objects.filter(
        action="access_denied", actor_name="colin", details__reason="screened from the matter"
    ).exists()

    # When Carol places a legal hold on the matter
    sign_out(browser)
    browser.sign_in("carol")
    browser.open(f"/matters/{matter.pk}/")
    browser.find("#hold-link").click()
    browser.find("#id_reason").send_keys("Litigation v Acme")
    submit(browser, "form.stacked")

    # Then the matter page says who held it and why, and deleting is refused in its words
    assert "by carol: Litigation v Acme" in browser.text_of("#hold-banner")
    assert "release it first" in browser.text_of("#matter-delete-refused")
    browser.shot("held")
    browser.open(f"/matters/{matter.pk}/delete/")
    refusal = browser.text_of("#delete-refused")
    assert "is under a legal hold placed by carol" in refusal
    assert "(Litigation v Acme)" in refusal
    assert not browser.all("button.danger")
    browser.shot("delete-refused")

    # When she releases the hold
    browser.open(f"/matters/{matter.pk}/")
    browser.find("#hold-release-link").click()
    browser.find("#id_reason").send_keys("Settled")
    submit(browser, "form.stacked")
    assert "Released the legal hold" in browser.text_of(".messages")
    assert not browser.all("#hold-banner")

    # Then she can delete the matter, typing its reference, and gets the receipt
    browser.find("#matter-delete-link").click()
    browser.find("#id_confirm").send_keys(SLUG)
    submit(browser, "form.stacked")
    receipt = MatterDeletionReceipt.objects.get()
    assert f"Matter deletion receipt {receipt.pk}" in browser.text_of("#matter-receipt-summary")
    assert "lease.pdf" in browser.text_of("#receipt-documents")
    browser.shot("receipt")
    assert [d["filename"] for d in receipt.documents] == ["lease.pdf"]
    assert not Matter.objects.filter(slug=SLUG).exists()
