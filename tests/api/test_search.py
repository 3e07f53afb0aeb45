"""``POST matters/{id}/search/``: validated input, passages of indexed documents only."""

from __future__ import annotations

import pytest

from docproc.models import Document
from docproc.services import ingestion
from tests.factories.files import make_text_pdf

pytestmark = pytest.mark.django_db


def search(client, matter, body, **kwargs):
    return client.post(f"/api/v1/matters/{matter.pk}/search/", body, **kwargs)


def test_malformed_json_is_400_with_a_code(api_as, viewer, matter):
    response = search(api_as(viewer), matter, '{"query": ', content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert body["detail"].startswith("JSON parse error")


def test_missing_query_is_400_invalid(api_as, viewer, matter):
    response = search(api_as(viewer), matter, {"k": 3}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "query: This field is required.",
        "errors": {"query": ["This field is required."]},
    }


@pytest.mark.parametrize("k", [0, 101, "many"])
def test_k_out_of_range_is_400_invalid(api_as, viewer, matter, k):
    response = search(api_as(viewer), matter, {"query": "rent", "k": k}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["k"]


def test_non_member_gets_404_on_search(api_as, outsider, matter):
    response = search(api_as(outsider), matter, {"query": "rent"}, format="json")

    assert response.status_code == 404


def test_search_of_a_matter_without_indexed_documents_returns_no_results(
    api_as, viewer, matter, fresh_indexes
):
    response = search(api_as(viewer), matter, {"query": "rent"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_search_returns_cited_passages_of_indexed_documents(api_as, viewer, matter, fresh_indexes):
    # The pipeline's stages run here in-process (no worker): parse, chunk, embed, index.
    pdf = make_text_pdf(
        ["The tenant shall pay rent on the first day of each month.", "Pets are not allowed."]
    )
    document = ingestion.submit(matter, "lease.pdf", [pdf]).document
    assert ingestion.parse(document.pk) and ingestion.chunk(document.pk)
    assert ingestion.embed(document.pk) == 0
    assert ingestion.index(document.pk)

    response = search(api_as(viewer), matter, {"query": "when is rent due", "k": 1}, format="json")

    assert response.status_code == 200
    [hit] = response.json()["results"]
    page_text = Document.objects.get(pk=document.pk).pages.get(number=1).text
    assert (hit["document"], hit["filename"], hit["page"]) == (document.pk, "lease.pdf", 1)
    assert hit["text"] == page_text[hit["char_start"] : hit["char_end"]]
    assert "rent" in hit["text"]
    assert set(hit) == {
        "document",
        "filename",
        "page",
        "char_start",
        "char_end",
        "score",
        "text",
        "chunk",
    }


def test_json_that_is_not_an_object_is_400_invalid(api_as, viewer, matter):
    response = search(api_as(viewer), matter, "[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "Invalid data. Expected a dictionary, but got list.",
        "errors": {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]},
    }


def _indexed(matter, filename, pages):
    document = ingestion.submit(matter, filename, [make_text_pdf(pages)]).document
    assert ingestion.parse(document.pk) and ingestion.chunk(document.pk)
    assert ingestion.embed(document.pk) == 0
    assert ingestion.index(document.pk)
    return document


def test_search_matches_an_exact_identifier_by_its_terms(api_as, viewer, matter, fresh_indexes):
    """Hybrid retrieval: an account number means nothing to the embedder, BM25 matches it."""
    filler = [
        f"Clause {n}. The parties agree that payments are made monthly to the account on file."
        for n in range(1, 9)
    ]
    document = _indexed(
        matter, "ledger.pdf", [*filler, "Transfers to account ACC-00931 were frozen in March."]
    )

    response = search(api_as(viewer), matter, {"query": "ACC-00931", "k": 1}, format="json")

    assert response.status_code == 200
    [hit] = response.json()["results"]
    assert (hit["document"], hit["page"]) == (document.pk, 9)
    assert "ACC-00931" in hit["text"]


def test_search_narrowed_to_documents_returns_only_their_passages(
    api_as, viewer, matter, fresh_indexes
):
    lease = _indexed(matter, "lease.pdf", ["The tenant shall pay rent monthly."])
    other = _indexed(matter, "rent-roll.pdf", ["Rent roll: unit 4 pays rent of 900 a month."])

    response = search(
        api_as(viewer), matter, {"query": "rent", "k": 10, "documents": [other.pk]}, format="json"
    )

    assert response.status_code == 200
    results = response.json()["results"]
    assert results and {hit["document"] for hit in results} == {other.pk}
    assert lease.pk not in {hit["document"] for hit in results}


def test_search_narrowed_to_another_matters_document_is_404(
    api_as, viewer, matter, other_matter, make_document
):
    foreign = make_document("foreign.pdf", in_matter=other_matter)

    response = search(
        api_as(viewer), matter, {"query": "rent", "documents": [foreign.pk]}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "detail": "One or more documents were not found in this matter.",
    }
