"""Fixtures for answers, summaries and extraction: documents indexed in-process by the real
pipeline stages, and a tiny-model server with a deliberately small context."""

from __future__ import annotations

import pytest

from docproc.pipeline.llm import LLMClient
from docproc.services import ingestion, matters
from tests.conftest import TINY_MODEL
from tests.llm.helpers import ServeLLMProcess

# Small on purpose, so every answer has to be compressed to fit: the tiny model's tokenizer
# spends about a token a character, and the instructions alone take ~630 of these 1,024.
ANSWER_CONTEXT = 1024


@pytest.fixture(scope="session")
def tiny_answer_server(tiny_gguf):
    """A client of the tiny model (replies "one two three ... ten") with a 1,024-token context."""
    server = ServeLLMProcess(tiny_gguf, ANSWER_CONTEXT, "tiny-answers", TINY_MODEL, threads=1)
    try:
        server.wait_ready()
        with LLMClient(server.base_url, TINY_MODEL, timeout_s=30.0) as client:
            yield client
    finally:
        server.stop()


@pytest.fixture
def index_document(monkeypatch, fresh_indexes):
    """Store a document and run every pipeline stage on it here, without a worker."""
    monkeypatch.setattr(ingestion, "enqueue_processing", lambda document_id: None)

    def run(matter_slug: str, filename: str, data: bytes):
        matter = matters.get_or_create_matter(matter_slug)[0]
        document = ingestion.submit(matter, filename, [data]).document
        assert ingestion.parse(document.pk) and ingestion.chunk(document.pk)
        assert ingestion.embed(document.pk) == 0 and ingestion.index(document.pk)
        document.refresh_from_db()
        return matter, document

    return run
