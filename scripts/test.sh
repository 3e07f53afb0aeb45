#!/usr/bin/env bash
# Lint and test docproc: bash scripts/test.sh [PYTEST ARGS...]
#
# Installs what the tests need (redis-server, chromium and chromium-driver for the browser
# tests, slapd for the directory sign-in tests and tesseract-ocr when possible, the headers
# python-ldap builds with; .venv from requirements-dev.txt, skipped while unchanged),
# starts Redis if none answers, then runs `ruff check .`, `mypy` (the type check; what and how
# strictly: pyproject.toml) and `pytest` (extra arguments go to pytest). Exits non-zero if any
# fails. DOCPROC_BROWSER_TESTS=false skips the browser tests; DOCPROC_DIRECTORY_TESTS=false does
# not install slapd (the directory sign-in tests then skip, saying why).
#
# Isolation from a running dev service: Redis database 15 (DOCPROC_TEST_REDIS_URL), a temporary
# DOCPROC_DATA_DIR. Database: DOCPROC_DATABASE_URL if set (pytest-django creates and drops a
# "test_" database next to it), else PostgreSQL on 127.0.0.1:5432 as user postgres if it accepts
# us, else SQLite in the temporary directory.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$DOCPROC_ROOT"

TEST_REDIS_URL="${DOCPROC_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"

want_redis_package "$TEST_REDIS_URL"
want_ocr_package
want_browser_packages
want_directory_test_packages
want_python_packages
want_ldap_build_packages
install_wanted_packages
ensure_redis "$TEST_REDIS_URL"
ensure_venv requirements-dev.txt

# Everything a test might write goes to a fresh directory, removed afterwards.
TEST_DATA_DIR="$(mktemp -d -t docproc-test.XXXXXX)"
trap 'rm -rf "$TEST_DATA_DIR"' EXIT
export DOCPROC_DATA_DIR="$TEST_DATA_DIR"
mkdir "$TEST_DATA_DIR/static" # STATIC_ROOT; tests need no collected files, whitenoise wants the dir
unset DOCPROC_BLOB_DIR DOCPROC_INDEX_DIR DOCPROC_BLOB_DIR_FILE DOCPROC_INDEX_DIR_FILE
export DOCPROC_TEST_REDIS_URL="$TEST_REDIS_URL"
export DOCPROC_REDIS_URL="$TEST_REDIS_URL"
export DOCPROC_BROKER_URL="$TEST_REDIS_URL"
unset DOCPROC_REDIS_URL_FILE DOCPROC_BROKER_URL_FILE

if [[ -z ${DOCPROC_DATABASE_URL:-} && -z ${DOCPROC_DATABASE_URL_FILE:-} ]]; then
	PG_URL="postgres://postgres@127.0.0.1:5432/test"
	# Answering is not enough: the tests need to log in and create a database.
	if postgres_answers 127.0.0.1 5432 &&
		"$VENV/bin/python" -c 'import sys, psycopg; psycopg.connect(sys.argv[1], connect_timeout=5).close()' \
			"postgres://postgres@127.0.0.1:5432/postgres" 2>/dev/null; then
		export DOCPROC_DATABASE_URL="$PG_URL"
	fi
fi
if [[ -n ${DOCPROC_DATABASE_URL:-} ]]; then
	log "tests use PostgreSQL (${DOCPROC_DATABASE_URL%%\?*}; pytest-django makes a test_ database)"
else
	log "tests use SQLite in $TEST_DATA_DIR (no PostgreSQL accepted postgres@127.0.0.1:5432)"
fi
log "tests use Redis $TEST_REDIS_URL and data dir $TEST_DATA_DIR"

status=0
log "ruff check ."
"$VENV/bin/ruff" check . || status=1
log "mypy (type check)"
"$VENV/bin/mypy" || status=1
log "pytest $*"
"$VENV/bin/python" -m pytest "$@" || status=$?
if ((status)); then
	log "FAILED (exit $status)"
fi
exit "$status"
