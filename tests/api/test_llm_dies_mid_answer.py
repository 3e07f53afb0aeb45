"""The model server stops after the first words of an answer: the stream ends promptly, with an
answer that says the model is unavailable and quotes the documents instead (the words streamed
so far are set aside, never passed off as the answer), and the audit log records the question as
answered without a model, saying why. A real SmolLM2 server, stopped by the test."""

from __future__ import annotations

import json
import threading
import time

import pytest

from docproc.models import AuditEvent
from docproc.pipeline.llm.server import default_model_path
from docproc.services import answers
from tests.conftest import SMOLLM2_CONTEXT, SMOLLM2_MODEL
from tests.factories.files import make_text_pdf
from tests.support.llm_servers import ServeLLMProcess, http_json

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

PAGES = [
    "1. PAYMENT\n\nInvoices are payable within thirty days of receipt by bank transfer.",
    "2. TERM\n\nThe agreement runs for thirty-six months from the effective date.",
]
QUESTION = "Explain in detail when invoices are payable and how they must be paid."
# The most a stopped server may cost the person asking: the client's read timeout, once.
BOUND_S = 20.0


@pytest.fixture
def dying_server(settings):
    """A SmolLM2 server of this test alone, as the service's only model."""
    server = ServeLLMProcess(default_model_path(), SMOLLM2_CONTEXT, "dying", SMOLLM2_MODEL, 1)
    server.wait_ready()
    settings.LLM_BASE_URL = server.base_url
    settings.LLM_MODEL = SMOLLM2_MODEL
    settings.LLM_CONTEXT_LENGTH = 0
    settings.LLM_ANSWER_TOKENS = 300
    settings.LLM_TIMEOUT_S = 10.0
    settings.LLM_LARGE_BASE_URL = ""
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def indexed(index_document, make_member):
    matter, document = index_document("dies-mid-answer", "msa.pdf", make_text_pdf(PAGES))
    return matter, make_member("viewer", "vera", in_matter=matter)


def asked(matter, viewer):
    events = AuditEvent.objects.filter(action="ask", matter=matter)
    assert events.count() == 1
    return events.get().details


def test_the_api_stream_ends_promptly_saying_the_model_stopped_and_the_audit_says_why(
    indexed, api_as, dying_server
):
    matter, viewer = indexed
    response = api_as(viewer).post(
        f"/api/v1/matters/{matter.pk}/ask/", {"question": QUESTION, "stream": True}, format="json"
    )
    lines = iter(response.streaming_content)
    first = json.loads(next(lines))
    assert first["type"] == "delta"

    dying_server.process.kill()  # the server stops mid-answer, as in a crash
    started = time.monotonic()
    rest = [json.loads(line) for chunk in lines for line in chunk.splitlines() if line]
    took = time.monotonic() - started

    assert took < BOUND_S
    last = rest[-1]
    assert last["type"] == "answer"
    assert (last["method"], last["routing"]["endpoint"], last["routing"]["reason"]) == (
        "extractive",
        None,
        "no_model_available",
    )
    assert len(last["warnings"]) == 1
    assert last["warnings"][0].startswith("The language model is unavailable (")
    assert "payable within thirty days" in last["answer"]
    details = asked(matter, viewer)
    assert (details["method"], details["routing"]["reason"]) == ("extractive", "no_model_available")
    assert details["warnings"] == last["warnings"]


def test_the_web_ask_page_says_the_model_stopped_and_shows_quotes(indexed, client, dying_server):
    matter, viewer = indexed
    client.force_login(viewer)
    slots = f"{dying_server.root_url}/slots"

    def stop_once_generating() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(slot["is_processing"] for slot in http_json("GET", slots)):
                break
            time.sleep(0.02)
        time.sleep(0.3)  # a few words in
        dying_server.process.kill()

    killer = threading.Thread(target=stop_once_generating)
    killer.start()
    started = time.monotonic()
    response = client.post(f"/matters/{matter.pk}/ask/", {"question": QUESTION})
    took = time.monotonic() - started
    killer.join()

    page = response.content.decode()
    assert response.status_code == 200
    assert took < BOUND_S
    assert answers.MODEL_UNAVAILABLE_NOTE.split("(")[0] in page
    assert "payable within thirty days" in page
    assert asked(matter, viewer)["routing"]["reason"] == "no_model_available"
