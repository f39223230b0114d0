"""Settings for the executor dashboard, read from the environment.

Every variable is documented in the README's "Configuration" table. The defaults suit a
developer's laptop; production values come from the environment (or a `.env` file in the
project root, which `bin/serve` writes on first start with a random secret key).
"""

import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from executor_site.env import (
    env_bool,
    env_bytes,
    env_cache,
    env_database,
    env_float,
    env_header,
    env_int,
    env_list,
    env_rate,
    env_str,
    load_dotenv,
)
from executor_site.ldap_settings import ldap_from_environment
from executor_site.mailers import mailer_from_environment
from executor_site.notification_schema import NOTIFICATION_EVENT_ENUM, NOTIFICATION_PAYLOAD

BASE_DIR = Path(__file__).resolve().parent.parent

load_dotenv(Path(env_str("DJANGO_ENV_FILE", str(BASE_DIR / ".env"))))

DEBUG = env_bool("DJANGO_DEBUG", False)
# Tests say so (pyproject's [tool.pytest_env] sets it, and so do tests' own subprocesses):
# a throwaway secret key and plain HTTP, as with debug on, but debug itself stays off.
TESTING = env_bool("DJANGO_TESTING", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. With DJANGO_DEBUG off the server needs a secret key "
            "from the environment; generate one with: python -c "
            "'import secrets; print(secrets.token_urlsafe(50))'"
        )
    # A throwaway key for debug and tests: sessions end when the process does, which is
    # better than a key shipped in the source that every installation would share.
    SECRET_KEY = secrets.token_urlsafe(50)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before the apps whose runserver it replaces (the first app's command wins): ours
    # takes bursts and stops runs cleanly (tasks/management/commands/runserver.py).
    "tasks",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "tasks.web.middleware.ProviderSignOutPolicyMiddleware",
    "tasks.web.middleware.StartEngineMiddleware",
]

ROOT_URLCONF = "executor_site.urls"
WSGI_APPLICATION = "executor_site.wsgi.application"
ASGI_APPLICATION = "executor_site.asgi.application"

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

# SQLite by default, in var/ (the tasks app creates that folder when it starts).
DATABASES = {
    "default": env_database(
        "DATABASE_URL",
        f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        sqlite_timeout=env_int("EXECUTOR_SQLITE_BUSY_TIMEOUT", 30, minimum=1),
        test_sqlite=BASE_DIR / "var" / "test-db.sqlite3",
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app and project folders when collectstatic has not run, so
# `manage.py runserver` works with debug off too.
WHITENOISE_USE_FINDERS = True

# Requests: JSON bodies are small; anything larger is refused before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_bytes("EXECUTOR_MAX_REQUEST_BYTES", 256 * 1024)

REST_FRAMEWORK = {
    # Token first: DRF takes the WWW-Authenticate header from the first class, and a
    # signed-out client should get 401 with "Token", not a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["tasks.api.parsers.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["tasks.api.renderers.SafeJSONRenderer"],
    "EXCEPTION_HANDLER": "tasks.api.envelope.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Client addresses for throttling: DRF's default (None) trusts the whole
    # X-Forwarded-For header, which any client can set to dodge a per-address limit.
    "NUM_PROXIES": env_int("DJANGO_NUM_PROXIES", 0, minimum=0),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "tasks": {"handlers": ["console"], "level": env_str("EXECUTOR_LOG_LEVEL", "INFO")},
        # Django only logs to the console with debug on; a server in production must still
        # say why a request failed (with the traceback) somewhere an operator looks.
        "django": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # 4xx answers are the client's business; 5xx ones (with tracebacks) are ours.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# The engine. Read where used (never cached at import), so tests can override them.
EXECUTOR_BACKEND = env_str("EXECUTOR_BACKEND", "thread")
EXECUTOR_SCRIPTS = env_str("EXECUTOR_SCRIPTS", str(BASE_DIR / "scripts" / "catalog.toml"))
EXECUTOR_MAX_WORKERS = env_int("EXECUTOR_MAX_WORKERS", 4, minimum=1)
EXECUTOR_MAX_PENDING = env_int("EXECUTOR_MAX_PENDING", 1000, minimum=1)
# Requests `manage.py serve` / `runserver` serve at once (0: no bound), each with a
# database connection. A database server caps its connections (PostgreSQL at 100 by
# default) and the engine needs some for the runs' logs; SQLite has no such cap.
EXECUTOR_SERVE_THREADS = env_int(
    "EXECUTOR_SERVE_THREADS",
    0 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 40,
    minimum=0,
)
EXECUTOR_MAX_LOG_BYTES = env_bytes("EXECUTOR_MAX_LOG_BYTES", 10 * 1024 * 1024)
EXECUTOR_DEFAULT_TIMEOUT = env_float("EXECUTOR_DEFAULT_TIMEOUT", 3600, minimum=1)
EXECUTOR_KILL_GRACE = env_float("EXECUTOR_KILL_GRACE", 5, minimum=0)
EXECUTOR_FLUSH_INTERVAL = env_float("EXECUTOR_FLUSH_INTERVAL", 0.05, minimum=0.001)
EXECUTOR_HEARTBEAT_INTERVAL = env_float("EXECUTOR_HEARTBEAT_INTERVAL", 5, minimum=0.1)
EXECUTOR_STALE_AFTER = env_float("EXECUTOR_STALE_AFTER", 30, minimum=0.3)
EXECUTOR_CHILD_ENV = env_list("EXECUTOR_CHILD_ENV", [])
# Live pages: how often a viewer re-reads a run that another process supervises (runs in
# this process wake their viewers at once).
EXECUTOR_LIVE_POLL_INTERVAL = env_float("EXECUTOR_LIVE_POLL_INTERVAL", 0.25, minimum=0.01)

# Security. Production (debug off) is HTTPS-only by default: secure cookies, a redirect
# from http://, and HSTS. Behind a proxy that terminates TLS, set
# DJANGO_SECURE_PROXY_SSL_HEADER so that Django knows which requests arrived over HTTPS.
HTTPS = env_bool("DJANGO_HTTPS", not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", HTTPS)
# Load balancers probe the health check over plain HTTP; a redirect would fail them.
SECURE_REDIRECT_EXEMPT = [r"^api/health/?$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0, 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # security.W021 asks for the HSTS preload flag. Preloading hands the whole domain to
    # the browsers' built-in HTTPS-only list, which takes months to undo: the operator's
    # decision (DJANGO_SECURE_HSTS_PRELOAD=1), not a default we may take for them.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
if proxy_header := env_header("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = proxy_header
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy: our pages load scripts, styles and images from this site only
# and carry no inline scripts, styles or event handlers (a test parses every page).
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    # Swagger UI draws a few icons as data: URIs.
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# The cache holds throttling counters. The default is per process: with several server
# processes each counts on its own, so set CACHE_URL to a shared cache for exact limits.
CACHES = {"default": env_cache("CACHE_URL", "locmem://")}

# Throttling: runs started per user (execute and re-run) and failed sign-ins per user
# name and per client address, as "count/period" (period: s, m, min, h, d, or 15m ...).
# "off" turns a limit off.
EXECUTOR_RUN_RATE = env_rate("EXECUTOR_RUN_RATE", "30/min")
EXECUTOR_LOGIN_RATE = env_rate("EXECUTOR_LOGIN_RATE", "10/15m")

SPECTACULAR_SETTINGS = {
    "TITLE": "Executor API",
    "DESCRIPTION": "Run catalog scripts and follow their runs. Every answer is JSON with "
    '"success"; every error carries an "error" message.',
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["tasks.api.schema.drop_duplicate_paths"],
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "tasks.models.Status",
        "HealthStatusEnum": ["healthy", "unhealthy"],
        "ScheduleKindEnum": "tasks.models.TimetableKind",
        "ScheduleOverlapEnum": "tasks.models.OverlapPolicy",
        "ScheduleMissedEnum": "tasks.models.MissedPolicy",
    },
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# Operations: finished runs older than this many days are purged once a day (0: never).
EXECUTOR_RETENTION_DAYS = env_int("EXECUTOR_RETENTION_DAYS", 0, minimum=0)

# Celery, for EXECUTOR_BACKEND=celery: the web process only enqueues task ids on the broker;
# `celery -A executor_site worker` processes run them (see "Running on several machines").
# What the engine relies on (late acknowledgement, one message per free slot, no result
# backend) is fixed in executor_site/celery.py, not configurable here.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
# Runs at once per worker process, like EXECUTOR_MAX_WORKERS per web process
# (`celery worker --concurrency N` overrides it).
CELERY_WORKER_CONCURRENCY = EXECUTOR_MAX_WORKERS
# A pending task whose message the broker has not delivered for this long is sent again
# (a lost message must not leave a run pending for ever; a duplicate is harmless, since a
# task is claimed once). Runs whose message could not be sent at all are retried sooner.
EXECUTOR_REQUEUE_AFTER = env_float("EXECUTOR_REQUEUE_AFTER", 900, minimum=1)

# --- notifications, inbound webhooks, the watchdog (issue 12) ---

# E-mail goes through Django's mailers: EMAIL_URL, or the usual EMAIL_* variables
# (executor_site/mailers.py reads them; the README's table lists them).
MAILERS = {"default": mailer_from_environment()}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "executor@localhost")
# The public address of the site, for the links in messages.
EXECUTOR_BASE_URL = env_str("EXECUTOR_BASE_URL", "http://127.0.0.1:8000")
EXECUTOR_NOTIFY_SUBJECT_PREFIX = env_str("EXECUTOR_NOTIFY_SUBJECT_PREFIX", "executor")
# Seconds a webhook or SMTP server may take; tries before a delivery fails for good; the
# first retry's wait (doubling each time); how long a claimed delivery stays claimed
# before another process may take it (its sender died).
EXECUTOR_NOTIFY_TIMEOUT = env_float("EXECUTOR_NOTIFY_TIMEOUT", 10, minimum=0.1)
EXECUTOR_NOTIFY_MAX_TRIES = env_int("EXECUTOR_NOTIFY_MAX_TRIES", 6, minimum=1)
EXECUTOR_NOTIFY_RETRY_BASE = env_float("EXECUTOR_NOTIFY_RETRY_BASE", 30, minimum=0)
EXECUTOR_NOTIFY_LEASE = env_float("EXECUTOR_NOTIFY_LEASE", 120, minimum=1)
EXECUTOR_NOTIFY_INTERVAL = env_float("EXECUTOR_NOTIFY_INTERVAL", 1, minimum=0.05)
# Calls of one inbound webhook (per hook), as count/period.
EXECUTOR_HOOK_RATE = env_rate("EXECUTOR_HOOK_RATE", "60/min")
SPECTACULAR_SETTINGS["APPEND_COMPONENTS"] = {
    "schemas": {
        "NotificationPayload": NOTIFICATION_PAYLOAD,
        "NotificationEventEnum": NOTIFICATION_EVENT_ENUM,
    }
}
# Seconds a run may print nothing before it is flagged stalled (a catalog entry's
# `stall_after` wins); empty or 0: no watchdog.
EXECUTOR_STALL_AFTER = env_float("EXECUTOR_STALL_AFTER", 0, minimum=0) or None
# --- Insight (issue 14) ---
# GET /metrics answers a scraper that sends `Authorization: Bearer <this>`, and staff
# signed in; empty: staff only.
EXECUTOR_METRICS_TOKEN = env_str("EXECUTOR_METRICS_TOKEN", "")
# Retention by count and size, besides EXECUTOR_RETENTION_DAYS (0: no limit). The daily
# pass removes the oldest finished runs of a script beyond its newest N, then the oldest
# finished runs until the logs held fit the budget; pinned ("keep") and active runs stay.
EXECUTOR_RETENTION_RUNS_PER_SCRIPT = env_int("EXECUTOR_RETENTION_RUNS_PER_SCRIPT", 0, minimum=0)
EXECUTOR_RETENTION_MAX_BYTES = env_bytes("EXECUTOR_RETENTION_MAX_BYTES", 0, zero_means_off=True)

# --- Files in and out (issue 13) ---
# Each run's working folder (uploads, artifacts, summary) is made under this folder and
# removed when the run ends; empty: the system's temporary folder.
EXECUTOR_WORK_ROOT = env_str("EXECUTOR_WORK_ROOT", "")
# Caps on what a run's EXECUTOR_ARTIFACTS folder may keep: per file and per run (a catalog
# entry's `max_artifact_bytes` / `max_run_artifact_bytes` may lower or raise them); files
# past a cap are left out with a note on the run.
EXECUTOR_MAX_ARTIFACT_BYTES = env_bytes("EXECUTOR_MAX_ARTIFACT_BYTES", 10 * 1024**2)
EXECUTOR_MAX_RUN_ARTIFACT_BYTES = env_bytes("EXECUTOR_MAX_RUN_ARTIFACT_BYTES", 50 * 1024**2)
EXECUTOR_MAX_ARTIFACTS = env_int("EXECUTOR_MAX_ARTIFACTS", 100, minimum=1)
# The largest Markdown summary kept (EXECUTOR_SUMMARY file plus `::summary` lines).
EXECUTOR_MAX_SUMMARY_BYTES = env_bytes("EXECUTOR_MAX_SUMMARY_BYTES", 64 * 1024)
# The ceiling on any upload (a `file` parameter's `max_size` is at most this); a larger
# one is refused with 413 while it streams, before more than this is written.
EXECUTOR_MAX_UPLOAD_BYTES = env_bytes("EXECUTOR_MAX_UPLOAD_BYTES", 100 * 1024**2)
FILE_UPLOAD_HANDLERS = [
    "tasks.services.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Before the CSRF check, which would read the form first and turn that refusal into a 400.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.csrf.CsrfViewMiddleware"),
    "tasks.web.uploads.UploadLimitMiddleware",
)
# --- Schedules (issue 11) ---
# The engine (thread pool dispatcher, Celery workers' housekeeping) fires due schedules;
# 0 turns that off in this process (then `manage.py run_scheduler` can do it instead).
EXECUTOR_SCHEDULER = env_bool("EXECUTOR_SCHEDULER", True)
# A due time older than this many seconds when the scheduler sees it counts as missed (the
# scheduler was not running) and follows the schedule's missed-firing policy.
EXECUTOR_SCHEDULE_MISSED_AFTER = env_float("EXECUTOR_SCHEDULE_MISSED_AFTER", 60, minimum=1)
# --- API clients and sign-in (issue 15) ---
# The live stream and the poll are plain Django views; a hook adds them to the schema
# (after drf-spectacular's own hook, which names the enums).
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "tasks.api.live_schema.add_live_paths",
]

# CORS (django-cors-headers): pages on these origins may call the API and follow runs
# live with a token. Off by default (no origin listed: no CORS header sent). Cookies are
# never allowed cross-origin, so another site cannot act with a user's session. The
# middleware answers a preflight itself, before sign-in is asked for.
INSTALLED_APPS.append("corsheaders")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.common.CommonMiddleware"),
    "corsheaders.middleware.CorsMiddleware",
)
CORS_ALLOWED_ORIGINS = env_list("DJANGO_CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/(api/|tasks/[0-9a-f-]+/(events|poll)/)"
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["Retry-After", "WWW-Authenticate"]

# Scoped tokens (several per user, expiry, read-only or some scripts) come before DRF's
# own token, which keeps working.
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"].insert(
    0, "tasks.api.authentication.ScopedTokenAuthentication"
)

# --- Sign-in (issue 15): local accounts, OpenID Connect, the providers' groups ---
# Read after the .env file, like everything above; AUTHENTICATION_BACKENDS is among them.
from executor_site.sign_in import *  # noqa: E402, F403

# Sign-in through LDAP or Active Directory (django-auth-ldap), off unless EXECUTOR_LDAP_URL
# is set; executor_site/ldap_settings.py reads the EXECUTOR_LDAP_* variables. The directory
# is asked first; local accounts (Django's own backend) keep working beside it unless
# EXECUTOR_LOCAL_LOGIN=0.
if LDAP_SETTINGS := ldap_from_environment():
    globals().update(LDAP_SETTINGS)
    AUTHENTICATION_BACKENDS.insert(0, "tasks.web.ldap_backend.DirectoryBackend")  # noqa: F405
# django-auth-ldap says why the directory could not be asked (unreachable, a refused
# service bind) at WARNING.
LOGGING["loggers"]["django_auth_ldap"] = {"handlers": ["console"], "level": "WARNING"}
