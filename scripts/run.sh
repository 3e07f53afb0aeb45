#!/usr/bin/env bash
# Set up and run docproc on this machine: bash scripts/run.sh
#
# Installs what is missing (redis-server, tesseract-ocr via apt; .venv from requirements.txt),
# prepares the database, starts Redis (if none answers), the embedded LLM server, one Celery
# worker and the web server in the background, ingests the sample documents into the matter
# "samples", and prints the URL and the admin login. Run it again at any time: it reuses
# everything that is already there and running. Stop with: bash scripts/stop.sh
#
# Defaults: SQLite and files under var/ (DOCPROC_DATA_DIR), Redis on 127.0.0.1:6379, web on
# 127.0.0.1:${DOCPROC_PORT:-8000}. Set DOCPROC_DATABASE_URL=postgres://... to use PostgreSQL.
# As root, the services run as an unprivileged user: DOCPROC_RUN_AS, else the user who ran sudo,
# else a "docproc" system user (created).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$DOCPROC_ROOT"

case "${1:-}" in
-h | --help)
	sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
	exit 0
	;;
"") ;;
*) die "unknown argument: $1 (try --help)" ;;
esac

PORT="${DOCPROC_PORT:-8000}"
# Only what the user has not set; settings.py reads the rest with the same defaults.
export DOCPROC_DATA_DIR="${DOCPROC_DATA_DIR:-$DOCPROC_ROOT/var}"
export DOCPROC_REDIS_URL="${DOCPROC_REDIS_URL:-redis://127.0.0.1:6379/0}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-docproc.settings}"
BROKER_URL="${DOCPROC_BROKER_URL:-$DOCPROC_REDIS_URL}"
SAMPLES=(samples/master-services-agreement.pdf samples/discharge-summary.docx
	samples/financial-statement.xlsx)

# --- 1. System packages, Redis, Python environment -------------------------------------------
want_redis_package "$BROKER_URL"
[[ $BROKER_URL == "$DOCPROC_REDIS_URL" ]] || want_redis_package "$DOCPROC_REDIS_URL"
want_ocr_package
want_python_packages
want_ldap_build_packages
install_wanted_packages

ensure_redis "$BROKER_URL"
[[ $BROKER_URL == "$DOCPROC_REDIS_URL" ]] || ensure_redis "$DOCPROC_REDIS_URL"
ensure_venv requirements.txt

# --- 2. Who runs the services ---------------------------------------------------------------
# Not root: everything runs as you. As root: manage.py and gunicorn run under setpriv as the
# service user, and the Celery worker gets --uid/--gid -- the option Celery's own root warning
# asks for. (C_FORCE_ROOT, in Celery 5.7, only lets a root worker accept pickle, which docproc
# never enables; it would not silence the warning, and hiding it would be wrong anyway.)
SVC_USER=""  # empty: the user running this script
SVC_PREFIX=() # prefix that runs a command as the service user
WORKER_PREFIX=()
WORKER_USER_ARGS=()

choose_service_user() {
	[[ $EUID -eq 0 ]] || return 0
	local user="${DOCPROC_RUN_AS:-${SUDO_USER:-docproc}}" uid gid
	if [[ $user == root ]]; then
		warn "DOCPROC_RUN_AS=root: the services run as root, and Celery will say why that is a bad idea"
		return 0
	fi
	if ! getent passwd "$user" >/dev/null; then
		[[ $user == docproc ]] || die "DOCPROC_RUN_AS=$user: no such user"
		log "creating the system user 'docproc' to run the services"
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin docproc
	fi
	uid=$(id -u "$user")
	gid=$(id -g "$user")
	local home="$DOCPROC_DATA_DIR/home"
	local prefix=(setpriv "--reuid=$uid" "--regid=$gid" --init-groups env "HOME=$home" "USER=$user")
	# The user must be able to run this .venv's interpreter and read the checkout. A pyenv Python
	# under /root, for one, is out of its reach: then say so and stay root rather than fail.
	if ! "${prefix[@]}" "$VENV/bin/python" -c 'import celery, django, docproc' >/dev/null 2>&1; then
		warn "user '$user' cannot run $VENV/bin/python or read $DOCPROC_ROOT" \
			"($(readlink -f "$VENV/bin/python") is probably in a private directory), so the" \
			"services run as root and Celery will print its SecurityWarning. To run them" \
			"unprivileged: a checkout and Python 3.11 that '$user' can read (e.g. Debian's" \
			"/usr/bin/python3.11; recreate .venv), or DOCPROC_RUN_AS=<user>."
		return 0
	fi
	SVC_USER=$user
	SVC_PREFIX=("${prefix[@]}")
	WORKER_PREFIX=(env "HOME=$home" "USER=$user")
	WORKER_USER_ARGS=(--uid "$uid" --gid "$gid")
	mkdir -p "$home"
	log "services run as user '$user'"
}

as_service() { "${SVC_PREFIX[@]}" "$@"; }
manage() { as_service "$VENV/bin/python" manage.py "$@"; }

choose_service_user

# --- 3. Data directory, secret key, database --------------------------------------------------
mkdir -p "$DOCPROC_DATA_DIR"
if [[ -z ${DOCPROC_SECRET_KEY:-} && -z ${DOCPROC_SECRET_KEY_FILE:-} ]]; then
	# A key of this installation's own (sessions, CSRF), made once and kept.
	SECRET_FILE="$DOCPROC_DATA_DIR/secret-key.txt"
	if [[ ! -s $SECRET_FILE ]]; then
		(umask 077 && "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))' \
			>"$SECRET_FILE")
	fi
	export DOCPROC_SECRET_KEY_FILE="$SECRET_FILE"
fi
if [[ -n $SVC_USER ]]; then
	# The service user owns its data; var/run, var/log and var/redis stay with whoever runs this.
	find "$DOCPROC_DATA_DIR" \( -path "$RUN_DIR" -o -path "$LOG_DIR" -o -path "$STATE_DIR/redis" \) \
		-prune -o ! -user "$SVC_USER" -exec chown "$SVC_USER:" {} +
fi

if [[ -n ${DOCPROC_DATABASE_URL:-} ]]; then
	log "database: DOCPROC_DATABASE_URL (${DOCPROC_DATABASE_URL%%://*})"
else
	log "database: SQLite in $DOCPROC_DATA_DIR"
fi
manage migrate --noinput -v 0
manage collectstatic --noinput -v 0
ADMIN_JSON=$(manage ensure_admin)
read_json() { "$VENV/bin/python" -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2]) or "")' "$@"; }
ADMIN_USER=$(read_json "$ADMIN_JSON" username)
ADMIN_PASSWORD=$(read_json "$ADMIN_JSON" password)
if [[ $(read_json "$ADMIN_JSON" created) == True ]]; then
	log "created the superuser '$ADMIN_USER'"
fi

# --- 4. LLM server ----------------------------------------------------------------------------
# `manage.py serve_llm`: the embedded OpenAI-compatible server (llama.cpp via xllamacpp, SmolLM2)
# on DOCPROC_LLM_BASE_URL's port, started before the worker and the web server that call it. A
# server already answering there is used; a URL of another machine (vLLM) is left to that machine.
LLM_URL="${DOCPROC_LLM_BASE_URL:-}"
if [[ -z $LLM_URL && -n ${DOCPROC_LLM_BASE_URL_FILE:-} ]]; then
	LLM_URL=$(<"$DOCPROC_LLM_BASE_URL_FILE")
fi
LLM_URL="${LLM_URL:-http://127.0.0.1:8001/v1}"
LLM_URL_RE='^http://(127\.[0-9.]+|localhost|\[::1\])(:([0-9]+))?(/.*)?$'
if [[ $LLM_URL =~ $LLM_URL_RE ]]; then
	LLM_HOST=${BASH_REMATCH[1]}
	LLM_PORT=${BASH_REMATCH[3]:-80}
	[[ $LLM_HOST == localhost ]] && LLM_HOST=127.0.0.1
	LLM_HOST=${LLM_HOST#[}
	LLM_HOST=${LLM_HOST%]}
	if pid=$(running_pid llm serve_llm); then
		log "LLM server already running (pid $pid)"
	elif http_ok "$LLM_HOST" "$LLM_PORT" /health; then
		log "an LLM server already answers on $LLM_HOST:$LLM_PORT; using it"
	else
		tcp_open "$LLM_HOST" "$LLM_PORT" &&
			die "port $LLM_PORT is in use by another program; set DOCPROC_LLM_BASE_URL to" \
				"http://127.0.0.1:FREE_PORT/v1"
		log "starting the LLM server on $LLM_HOST:$LLM_PORT (log var/log/llm.log)"
		start_background llm "${SVC_PREFIX[@]}" "$VENV/bin/python" manage.py serve_llm
	fi
	LLM_DEADLINE=$((SECONDS + 60))
	until http_ok "$LLM_HOST" "$LLM_PORT" /health; do
		running_pid llm serve_llm >/dev/null ||
			die "the LLM server exited; the end of var/log/llm.log:$(printf '\n')$(tail -n 30 "$LOG_DIR/llm.log")"
		((SECONDS < LLM_DEADLINE)) || die "the LLM server did not answer within 60 s; see var/log/llm.log"
		sleep 1
	done
else
	log "LLM: using the server at $LLM_URL (not started here; it must be running)"
fi

# --- 5. Celery workers, beat and web server ---------------------------------------------------
# The pipeline worker (parse, embed, index) and a second, one-process worker for the llm queue:
# a summary or extraction waits minutes on the LLM and must never hold up parsing. Beat runs the
# sweeper (services/sweeper.py), which re-queues work a crash or a lost broker left stuck, the
# audit chain's check, and the daily retention purge (services/retention.py).
WORKER_NODE="docproc@$(hostname)"
LLM_WORKER_NODE="docproc-llm@$(hostname)"
if pid=$(running_pid worker celery); then
	log "Celery worker already running (pid $pid)"
else
	log "starting the pipeline Celery worker (log var/log/worker.log)"
	start_background worker "${WORKER_PREFIX[@]}" \
		"$VENV/bin/celery" -A workers worker --loglevel=INFO -n "docproc@%h" \
		--queues=parse,embed,index "${WORKER_USER_ARGS[@]}"
fi
if pid=$(running_pid llm-worker celery); then
	log "Celery LLM-jobs worker already running (pid $pid)"
else
	log "starting the Celery worker for LLM jobs (log var/log/llm-worker.log)"
	start_background llm-worker "${WORKER_PREFIX[@]}" \
		"$VENV/bin/celery" -A workers worker --loglevel=INFO -n "docproc-llm@%h" \
		--queues=llm --concurrency=1 "${WORKER_USER_ARGS[@]}"
fi
if pid=$(running_pid beat celery); then
	log "Celery beat already running (pid $pid)"
else
	log "starting Celery beat: the sweeper, audit check and retention purge (log var/log/beat.log)"
	start_background beat "${SVC_PREFIX[@]}" "$VENV/bin/celery" -A workers beat --loglevel=INFO \
		--schedule "$DOCPROC_DATA_DIR/celerybeat-schedule"
fi

if pid=$(running_pid web gunicorn); then
	log "web server already running (pid $pid)"
else
	tcp_open 127.0.0.1 "$PORT" &&
		die "port $PORT is already in use by another program; set DOCPROC_PORT to a free port"
	log "starting the web server on 127.0.0.1:$PORT (log var/log/web.log)"
	# Workers, threads and their share of the cores: gunicorn.conf.py (DOCPROC_WEB_WORKERS/_THREADS).
	start_background web "${SVC_PREFIX[@]}" "$VENV/bin/gunicorn" docproc.wsgi \
		--config "$DOCPROC_ROOT/gunicorn.conf.py" --bind "127.0.0.1:$PORT"
fi

wait_until() { # wait_until SECONDS NAME PATTERN COMMAND...: poll COMMAND while NAME stays alive
	local seconds=$1 name=$2 pattern=$3 deadline=$((SECONDS + $1))
	shift 3
	until "$@" >/dev/null 2>&1; do
		running_pid "$name" "$pattern" >/dev/null ||
			die "the $name exited; the end of var/log/$name.log:$(printf '\n')$(tail -n 30 "$LOG_DIR/$name.log")"
		((SECONDS < deadline)) || die "the $name did not become ready within ${seconds}s; see var/log/$name.log"
		sleep 1
	done
}
wait_until 60 web gunicorn tcp_open 127.0.0.1 "$PORT"
wait_until 180 worker celery as_service "$VENV/bin/celery" -A workers inspect ping \
	-d "$WORKER_NODE" --timeout 3
wait_until 180 llm-worker celery as_service "$VENV/bin/celery" -A workers inspect ping \
	-d "$LLM_WORKER_NODE" --timeout 3

# --- 6. Sample documents ----------------------------------------------------------------------
log "ingesting the sample documents into the matter 'samples' (waits until they are processed)"
INGEST_OUT=$(manage ingest --matter samples --wait "${SAMPLES[@]}") || true
printf '%s\n' "$INGEST_OUT"
# One JSON line per document; all of them must have reached "indexed".
INGEST_OK=$("$VENV/bin/python" -c '
import json, sys
lines = [json.loads(line) for line in sys.stdin if line.strip().startswith("{")]
print(int(len(lines) == int(sys.argv[1]) and all(d.get("status") == "indexed" for d in lines)))
' "${#SAMPLES[@]}" <<<"$INGEST_OUT")
manage add_member --matter samples --user "$ADMIN_USER" --role manager >/dev/null

# --- 7. Where to go from here -----------------------------------------------------------------
PASSWORD_FILE="$DOCPROC_DATA_DIR/$ADMIN_USER-password.txt"
cat <<EOF

docproc is running.
  Open:      http://127.0.0.1:$PORT/
  Log in:    $ADMIN_USER / ${ADMIN_PASSWORD:-"(unknown: $(read_json "$ADMIN_JSON" detail))"}
             (kept in ${PASSWORD_FILE#"$DOCPROC_ROOT"/}, readable only by its owner)
  Matter:    samples -- ${#SAMPLES[@]} synthetic documents; $ADMIN_USER is its manager
  LLM:       $LLM_URL
  Logs:      var/log/web.log, var/log/worker.log, var/log/llm-worker.log, var/log/beat.log,
             var/log/llm.log
  Stop:      bash scripts/stop.sh
EOF
if ((!INGEST_OK)); then
	warn "not every sample document was processed (see the lines above and var/log/worker.log)"
	exit 1
fi
