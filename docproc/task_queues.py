"""Queue names. One plain worker consumes them all; production may give each its own worker
(the ``index`` queue wants a single consumer per matter's writer lock to contend less, and the
``llm`` queue its own worker so a long summary never holds up parsing)."""

PARSE = "parse"
EMBED = "embed"
INDEX = "index"
# Users' jobs (summaries, extractions): minutes of waiting on the LLM each, so they get their own
# worker process (compose.yaml ``llm-worker``, scripts/run.sh) and never take a pipeline slot.
LLM = "llm"

PIPELINE = (PARSE, EMBED, INDEX)
ALL = (*PIPELINE, LLM)

# Which queue each task goes to (Celery 5.7 deprecates the per-task ``queue`` attribute).
ROUTES = {
    "workers.tasks.parse_document": {"queue": PARSE},
    "workers.tasks.chunk_document": {"queue": PARSE},
    "workers.tasks.embed_document": {"queue": EMBED},
    "workers.tasks.embed_chunks": {"queue": EMBED},
    "workers.tasks.index_document": {"queue": INDEX},
    # A user's summary or extraction job: the LLM does the work, the worker only waits on it.
    "workers.tasks.run_job": {"queue": LLM},
    # Beat's sweep (services/sweeper.py): a few queries, so it rides with parsing.
    "workers.tasks.sweep_stuck_work": {"queue": PARSE},
    # Beat's full audit check (services/audit): reads the chain, rides with parsing too.
    "workers.tasks.verify_audit_chain": {"queue": PARSE},
    # Beat's stale-members report (services/stale_report.py): a few queries and a file.
    "workers.tasks.report_stale_members": {"queue": PARSE},
}
