"""Factories of test data: ``files`` builds documents of each type in memory, ``tiny_gguf`` a tiny
deterministic model file for the LLM tests."""
