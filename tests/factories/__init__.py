"""Factories of test data: ``rows`` writes matters, users, documents, pages and chunks to the
database; ``files`` builds documents of each type in memory; ``tiny_gguf`` a tiny deterministic
model file for the LLM tests."""
