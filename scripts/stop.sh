#!/usr/bin/env bash
# Stop what scripts/run.sh (or scripts/test.sh) started: the web server, the Celery workers and beat, the
# embedded LLM server and the Redis server they launched, found through their pid files in
# var/run/. Processes this checkout did not start (a system Redis, a PostgreSQL) are left alone.
# Data in var/ is kept.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Front door first, broker last, so nothing is left holding work mid-way.
stop_background web gunicorn
stop_background beat celery
stop_background worker celery
stop_background llm-worker celery
stop_background llm serve_llm
stop_background redis redis-server
log "stopped"
