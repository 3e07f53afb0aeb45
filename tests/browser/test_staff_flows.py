"""The staff flows in a real headless chromium against the live service: sign in, upload a PDF
and watch it become ready without a reload, ask, open the cited passage; what a viewer may not
do; deleting with confirmation; the layout on a narrow screen; the ask form by keyboard alone.

Everything behind the browser is real: the live server (this process), PostgreSQL, the Celery
worker (another process) with the embedding model and FAISS, and the tiny model's LLM server.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from docproc.models import DeletionReceipt, Document, DocumentStatus, Membership, Page, Role
from tests.browser.conftest import ANSWER_WAIT_S, PROCESSING_WAIT_S
from tests.factories.files import make_text_pdf
from tests.support.paths import REPO

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLE_PDF = REPO / "samples" / "master-services-agreement.pdf"
QUESTION = "Within how many days must the Customer pay each undisputed invoice?"
ANSWER_WORDS = "forty-five (45) days"  # Section 4.2(b) of the sample agreement, page 2
# The tiny model's reply to anything: streamed as written, then replaced by verified quotes.
TINY_REPLY = "one two three four five six seven eight nine ten"

# Words (case-insensitive) of a delete control, wherever and however the page draws it.
DELETE_CONTROLS = (
    "//*[self::button or self::a or self::input]"
    "[contains(translate(normalize-space(.), 'DELT', 'delt'), 'delete')"
    " or contains(translate(@value, 'DELT', 'delt'), 'delete')"
    " or contains(translate(@aria-label, 'DELT', 'delt'), 'delete')]"
)

# Records, in the page, when the streamed text and the final answer first appear.
WATCH_ANSWER = """
window.__seen = {stream: null, streamAt: null, answerAt: null};
var seen = window.__seen;
function look() {
  var stream = document.getElementById("answer-stream");
  if (seen.streamAt === null && stream && stream.textContent.trim()) {
    seen.stream = stream.textContent.trim();
    seen.streamAt = performance.now();
  }
  if (seen.answerAt === null && document.querySelector("#answer a.citation, #not-found")) {
    seen.answerAt = performance.now();
  }
}
new MutationObserver(look).observe(document.body,
  {subtree: true, childList: true, characterData: true, attributes: true});
"""


FOCUSED_SUBMIT = """
var e = document.activeElement;
return e.type === "submit" && !!e.form && e.form.id === "ask-form";
"""


def status_text(browser, document_id: int) -> str | None:
    return browser.text_of(f'#documents tr[data-document-id="{document_id}"] [data-field="status"]')


def page_widths(browser) -> tuple[int, int]:
    """The page's full width and the width the screen shows (no sideways scrolling: equal)."""
    return tuple(
        browser.js("var e = document.documentElement; return [e.scrollWidth, e.clientWidth];")
    )


def test_upload_becomes_ready_without_reload_then_answer_cites_the_passage_on_screen(
    browser, manager, matter, celery_worker, fresh_indexes, answers_from_tiny_model
):
    # Given a manager signed in on the matter page
    browser.sign_in("manager")
    browser.open(f"/matters/{matter.pk}/")
    browser.find("#drop-zone")
    marker = uuid.uuid4().hex
    browser.js("window.__pageMarker = arguments[0];", marker)
    browser.shot("1-matter-page")

    # When the PDF is chosen in the drop zone's file input
    browser.present("#upload-input").send_keys(str(SAMPLE_PDF))

    # Then the upload list shows it received, and its row appears and reaches "Ready"
    item_css = f'#upload-list li[data-filename="{SAMPLE_PDF.name}"]'
    browser.find(item_css)
    received = browser.find(item_css + '[data-state="received"]', timeout=30)
    assert received.find_element(By.CSS_SELECTOR, ".upload-state").text == "Received"
    browser.shot("2-received")
    row = browser.find("#documents tr[data-document-id]", timeout=30)
    document_id = int(row.get_attribute("data-document-id"))
    browser.until(
        lambda d: status_text(browser, document_id) == "Ready",
        f"document {document_id} to read Ready (now {status_text(browser, document_id)!r})",
        timeout=PROCESSING_WAIT_S,
        poll=0.25,
    )
    browser.shot("3-ready")
    assert browser.js("return window.__pageMarker;") == marker, "the page was reloaded"
    document = Document.objects.get(pk=document_id)
    assert (document.matter_id, document.filename, document.status) == (
        matter.pk,
        SAMPLE_PDF.name,
        DocumentStatus.INDEXED,
    )

    # When a question whose answer is in the PDF is asked
    browser.open(reverse("web:ask", args=[matter.pk]))
    browser.find("#question").send_keys(QUESTION)
    browser.js(WATCH_ANSWER)
    browser.shot("4-question")
    browser.find("#ask-form [type=submit]").click()

    # Then the streamed text appears first, then the answer with its citations
    browser.until(
        lambda d: browser.js("return window.__seen.streamAt;") is not None,
        "the streamed answer",
        timeout=ANSWER_WAIT_S,  # the first question loads the embedding model in this process
    )
    browser.shot("5-streaming")
    citation = browser.find("#answer a.citation", timeout=ANSWER_WAIT_S)
    seen = browser.js("return window.__seen;")
    assert seen["stream"], "no streamed text was shown"
    assert TINY_REPLY in browser.text_of("#answer-stream")  # the model's words, as they came
    # ... which cite nothing: the answer quotes the documents, and the words are set aside
    stream_classes = browser.find("#answer-stream").get_attribute("class").split()
    assert "answer-stream-set-aside" in stream_classes
    assert seen["streamAt"] <= seen["answerAt"]
    browser.find("#context-accounting")
    browser.shot("6-answer")

    # When the first citation is clicked
    link = urlsplit(citation.get_attribute("href"))
    query = {key: int(values[0]) for key, values in parse_qs(link.query).items()}
    assert (link.path, link.fragment) == (f"/documents/{document_id}/", "passage")
    page_text = Page.objects.get(document_id=document_id, number=query["page"]).text
    quote = page_text[query["start"] : query["end"]]
    assert ANSWER_WORDS in " ".join(quote.split())
    shown_quote = citation.find_element(By.CSS_SELECTOR, "q.quote").get_attribute("textContent")
    assert shown_quote == quote
    windows = set(browser.driver.window_handles)
    citation.click()
    opened = set(browser.driver.window_handles) - windows
    if opened:  # a citation may open the document in a new tab
        browser.driver.switch_to.window(opened.pop())

    # Then the document page shows exactly the cited quote, highlighted and on screen
    mark = browser.find("mark#passage.passage")
    browser.shot("7-passage")
    assert browser.path.startswith(f"/documents/{document_id}/?")
    assert browser.js("return arguments[0].textContent;", mark) == quote
    top, bottom, height = browser.js(
        "var r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom, innerHeight];",
        mark,
    )
    assert 0 <= top < height and bottom > 0, (top, bottom, height)


def test_viewer_sees_no_upload_or_delete_controls(browser, viewer, matter, make_document):
    document = make_document("lease.pdf", pages=["The rent is due on the first of the month."])

    browser.sign_in("viewer")
    browser.open(f"/matters/{matter.pk}/")
    browser.find(f'#documents tr[data-document-id="{document.pk}"]')
    browser.shot("viewer-matter-page")

    for css in ("#drop-zone", "#upload-input", 'input[type="file"]', '[data-action="delete"]'):
        assert browser.all(css) == [], f"a viewer sees {css}"
    assert browser.all("#delete-dialog") == []
    assert browser.driver.find_elements(By.XPATH, DELETE_CONTROLS) == []


def test_manager_deletes_a_document_after_confirming(browser, manager, matter, make_document):
    kept = make_document("kept.pdf", pages=["Kept."])
    doomed = make_document("doomed.pdf", pages=["Doomed."])
    browser.sign_in("manager")
    browser.open(f"/matters/{matter.pk}/")
    row_css = f'#documents tr[data-document-id="{doomed.pk}"]'
    marker = uuid.uuid4().hex
    browser.js("window.__pageMarker = arguments[0];", marker)

    browser.find(row_css + ' form[data-action="delete"] button').click()
    dialog = browser.find("#delete-dialog")
    browser.shot("confirm")
    assert dialog.get_attribute("open") is not None
    assert "doomed.pdf" in dialog.text
    assert Document.objects.filter(pk=doomed.pk).exists(), "deleted before confirming"
    browser.find("#delete-confirm").click()

    browser.until(lambda d: not browser.all(row_css), "the deleted document's row to go")
    browser.shot("deleted")
    assert not Document.objects.filter(pk=doomed.pk).exists()
    assert DeletionReceipt.objects.filter(document_id=doomed.pk, filename="doomed.pdf").exists()
    assert browser.all(f'#documents tr[data-document-id="{kept.pk}"]')
    assert browser.js("return window.__pageMarker;") == marker, "the page was reloaded"


def test_pages_fit_a_768_pixel_screen_without_sideways_scrolling(
    browser, manager, matter, make_document
):
    # Real documents hold words no screen is wide enough for: references, URLs, hashes.
    long_line = "See https://records.example.org/" + "a1b2c3d4e5" * 15 + " for the schedule."
    document = make_document(
        "a-long-file-name-with-no-spaces-at-all-for-the-narrow-layout.pdf",
        pages=[f"Page one.\n\n{long_line}\n\n" + "An ordinary sentence. " * 40, "Page two."],
    )
    browser.sign_in("manager")
    browser.resize(768)
    pages = {
        "matter": f"/matters/{matter.pk}/",
        "document": f"/documents/{document.pk}/?page=1&start=0&end=9#passage",
        "ask": reverse("web:ask", args=[matter.pk]),
    }
    overflowing = {}
    for name, path in pages.items():
        browser.open(path)
        browser.find("main, h1")
        browser.shot(f"768-{name}")
        scroll_width, client_width = page_widths(browser)
        if scroll_width > client_width:
            overflowing[name] = (scroll_width, client_width)

    assert overflowing == {}, "pages wider than the screen (scrollWidth, clientWidth)"


def test_question_can_be_asked_with_the_keyboard_alone(browser, manager, index_document):
    matter, _ = index_document(
        "keyboard-ask", "lease.pdf", make_text_pdf(["The rent is due on the first of the month."])
    )
    Membership.objects.create(matter=matter, user=manager, role=Role.MANAGER)
    browser.sign_in("manager")
    browser.open(reverse("web:ask", args=[matter.pk]))
    browser.find("#question")
    keys = ActionChains(browser.driver)

    for _ in range(40):
        if browser.js("return document.activeElement.id;") == "question":
            break
        keys.send_keys(Keys.TAB).perform()
    assert browser.js("return document.activeElement.id;") == "question", "Tab never got there"
    keys.send_keys("What is the capital of Peru?").perform()
    assert browser.js("return document.activeElement.value;") == "What is the capital of Peru?"
    for _ in range(10):  # past the optional document checkboxes, to the button
        keys.send_keys(Keys.TAB).perform()
        if browser.js(FOCUSED_SUBMIT):
            break
    assert browser.js(FOCUSED_SUBMIT), "Tab never reached the ask button"
    browser.shot("keyboard-question")
    keys.send_keys(Keys.ENTER).perform()

    browser.find("#not-found", timeout=ANSWER_WAIT_S)
    browser.shot("keyboard-not-found")


def test_summary_and_fields_are_made_by_the_worker_and_shown_without_reload(
    browser, viewer, index_document, celery_worker
):
    """The buttons start jobs the real worker runs against the tiny model's real server; the
    page polls them and renders what came back, saying in words what could not be verified."""
    matter, document = index_document(
        "browser-jobs",
        "lease.pdf",
        make_text_pdf(["The tenant pays rent of 900 euros on the first day of each month."]),
    )
    Membership.objects.create(matter=matter, user=viewer, role=Role.VIEWER)
    browser.sign_in("viewer")
    browser.open(f"/documents/{document.pk}/")
    marker = uuid.uuid4().hex
    browser.js("window.__pageMarker = arguments[0];", marker)

    # The summary: the tiny model's words cite nothing, so its one statement says so
    browser.find("#summary-form button[type=submit]").click()
    statement = browser.find("#summary ol.statements > li.statement", timeout=ANSWER_WAIT_S)
    browser.shot("1-summary")
    assert statement.find_element(By.CSS_SELECTOR, ".statement-text").text == (TINY_REPLY)
    assert "statement-unverified" in statement.get_attribute("class").split()
    assert "unverified" in statement.text
    assert browser.text_of("#summary-error").strip() == ""

    # The fields of the contract schema: each row says in words what became of it
    browser.find("#fields-form button[type=submit]").click()
    rows = browser.until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#fields-result tr.field"),
        "the extracted fields",
        timeout=ANSWER_WAIT_S,
    )
    browser.shot("2-fields")
    statuses = {row.find_element(By.CSS_SELECTOR, ".field-status").text for row in rows}
    assert statuses and statuses <= {"verified", "not verified", "not found"}
    assert browser.text_of("#fields-error").strip() == ""
    assert browser.js("return window.__pageMarker;") == marker, "the page was reloaded"
