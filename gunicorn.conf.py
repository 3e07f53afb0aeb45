"""How gunicorn serves docproc: scripts/run.sh, the Dockerfile and the benchmarks all start it
with ``--config gunicorn.conf.py``, so what is measured is what runs.

Threads (gthread): a streamed answer waiting on the model holds one thread, not a whole worker
that every other request would queue behind. One torch/faiss thread per worker when the workers
already fill the cores, as the Celery children get: oversubscribed OpenMP threads spin and made a
query embedding up to 20x slower (bench/api_latency.py measures both).
"""

import os

worker_class = "gthread"
workers = int(os.environ.get("DOCPROC_WEB_WORKERS") or min(4, os.cpu_count() or 1))
threads = int(os.environ.get("DOCPROC_WEB_THREADS", "4"))
timeout = 120

# Each worker's share of the cores. The environment covers OpenMP users read at import (the
# workers import torch after the fork, never the master); post_fork sets torch and faiss too.
CORE_SHARE = max(1, (os.cpu_count() or 1) // max(1, workers))
os.environ.setdefault("OMP_NUM_THREADS", str(CORE_SHARE))


def post_fork(server, worker):
    from docproc.pipeline import embed
    from docproc.pipeline import vector_index as index

    embed.set_threads(CORE_SHARE)
    index.set_threads(CORE_SHARE)
