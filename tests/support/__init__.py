"""What tests and benchmarks start and stop: a real Celery worker process (``worker_process``),
``manage.py serve_llm`` and misbehaving HTTP servers (``llm_servers``), and where their logs go
(``paths``). Test data is built by ``tests.factories``."""
