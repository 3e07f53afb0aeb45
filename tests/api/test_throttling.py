"""Rate limits of the expensive verbs (ask, summary, extract): per token, or per user for
sessions; beyond the rate, 429 ``throttled`` with ``Retry-After``."""

from __future__ import annotations

import pytest

from docproc.models import DocumentStatus

pytestmark = pytest.mark.django_db

THROTTLED = {
    "code": "throttled",
    "detail": "Request was throttled. Expected available in 60 seconds.",
    "wait_seconds": 60,
}


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.API_RATES = {**settings.API_RATES, **rates}

    return set_rates


def ask(api, matter):
    # An empty question stops at validation: counted, but no index or model needed.
    return api.post(f"/api/v1/matters/{matter.pk}/ask/", {"question": ""}, format="json")


def test_ask_beyond_its_rate_is_429_throttled_with_retry_after(rates, bearer_as, viewer, matter):
    rates(ask="2/min")
    api = bearer_as(viewer, "ask")

    statuses = [ask(api, matter).status_code for _ in range(2)]
    response = ask(api, matter)

    assert statuses == [400, 400]
    assert response.status_code == 429
    assert response.json() == THROTTLED
    assert response["Retry-After"] == "60"


def test_each_token_has_its_own_budget(rates, bearer_as, viewer, matter):
    rates(ask="1/min")
    first, second = bearer_as(viewer, "ask"), bearer_as(viewer, "ask")

    assert [ask(first, matter).status_code, ask(first, matter).status_code] == [400, 429]
    assert ask(second, matter).status_code == 400


def test_a_session_user_is_limited_per_user(rates, api_as, viewer, matter):
    rates(ask="1/min")

    first, again = ask(api_as(viewer), matter), ask(api_as(viewer), matter)

    assert (first.status_code, again.status_code) == (400, 429)


@pytest.mark.parametrize(
    ("verb", "method", "suffix", "body"),
    [
        ("summary", "get", "summary/", None),
        ("summary", "post", "summary/", {}),
        ("extract", "post", "extract/", {"schema": "contract"}),
    ],
)
def test_summary_and_extract_have_their_own_rates(
    rates, bearer_as, viewer, make_document, verb, method, suffix, body
):
    rates(**{verb: "1/min"})
    document = make_document(status=DocumentStatus.EMBEDDING)  # 409 before any model is asked
    api = bearer_as(viewer, "extract")
    url = f"/api/v1/documents/{document.pk}/{suffix}"

    first = getattr(api, method)(url, body, format="json")
    again = getattr(api, method)(url, body, format="json")

    assert (first.status_code, again.status_code) == (409, 429)


def test_cheap_verbs_are_not_limited(rates, bearer_as, viewer, matter):
    rates(ask="1/min", summary="1/min", extract="1/min")
    api = bearer_as(viewer, "read")

    assert {api.get("/api/v1/matters/").status_code for _ in range(5)} == {200}


def test_an_unreachable_cache_lets_requests_through(rates, settings, bearer_as, viewer, matter):
    rates(ask="1/min")
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"}
    }
    api = bearer_as(viewer, "ask")

    assert [ask(api, matter).status_code for _ in range(2)] == [400, 400]
