"""Queue names. One plain worker consumes them all; production may give each its own worker
(the ``index`` queue wants a single consumer per matter's writer lock to contend less)."""

PARSE = "parse"
EMBED = "embed"
INDEX = "index"

ALL = (PARSE, EMBED, INDEX)

# Which queue each task goes to (Celery 5.7 deprecates the per-task ``queue`` attribute).
ROUTES = {
    "workers.tasks.parse_document": {"queue": PARSE},
    "workers.tasks.chunk_document": {"queue": PARSE},
    "workers.tasks.embed_document": {"queue": EMBED},
    "workers.tasks.embed_chunks": {"queue": EMBED},
    "workers.tasks.index_document": {"queue": INDEX},
    # A user's summary or extraction job: the LLM does the work, the worker only waits on it.
    "workers.tasks.run_job": {"queue": PARSE},
}
