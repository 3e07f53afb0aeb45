"""The real small model (SmolLM2-135M-Instruct, as the embedded default serves it) over a
document the project ships: the answer must carry a verified citation, and extracted values
are either verified against the document or dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from docproc.services import answers, extraction

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture
def discharge_summary(index_document):
    data = (SAMPLES / "discharge-summary.docx").read_bytes()
    return index_document("smollm2-clinic", "discharge-summary.docx", data)


def test_question_about_a_sample_document_gets_a_verified_citation(
    discharge_summary, smollm2_server
):
    matter, document = discharge_summary

    answer = answers.ask(
        matter, "What dose of metoprolol was the patient discharged on?", client=smollm2_server
    )

    verified = [c for c in answer.citations if c["verified"]]
    assert answer.found is True
    assert verified, answer.as_dict()
    page_text = document.pages.get(number=verified[0]["page"]).text
    quote = verified[0]
    assert page_text[quote["char_start"] : quote["char_end"]] == quote["quote"]
    assert answer.usage.total_tokens <= 2048


def test_extracted_medical_fields_are_verified_or_null(discharge_summary, smollm2_server):
    _, document = discharge_summary
    pages = {p.number: p.text for p in document.pages.all()}

    result = extraction.extract(document, "medical_record", client=smollm2_server)

    assert set(result["fields"]) == set(extraction.resolve_schema("medical_record")["properties"])
    for name, field in result["fields"].items():
        if field["verified"]:
            start, end = field["char_start"], field["char_end"]
            assert pages[field["page"]][start:end] == field["quote"], name
        else:
            assert field["value"] is None, name
