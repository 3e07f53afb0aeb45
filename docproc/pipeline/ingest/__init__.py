"""The ingestion flow: sniff the type, parse pages (OCR where needed), chunk them, add
contextual headers. Embedding and the vector index are shared with the answer flow."""
