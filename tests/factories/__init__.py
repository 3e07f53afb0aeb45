"""Factories that build test data in memory; see ``files`` for documents of each type."""
