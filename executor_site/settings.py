"""Settings for the executor dashboard, read from the environment.

Every variable is documented in the README's "Configuration" table. The defaults suit a
developer's laptop; production values come from the environment (or a `.env` file in the
project root, which `bin/serve` writes on first start with a random secret key).
"""

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _load_dotenv(path):
    """Read KEY=VALUE lines into os.environ; variables already set win."""
    if not path.is_file():
        return
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ImproperlyConfigured(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


_load_dotenv(Path(os.environ.get("DJANGO_ENV_FILE", BASE_DIR / ".env")))


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off), got {value!r}")


def env_int(name, default, minimum=None):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def env_float(name, default, minimum=None):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def env_bytes(name, default):
    """A size such as 10485760, 512K, 10M or 1G."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    text = value.strip().upper().removesuffix("B").removesuffix("I")
    multiplier = units.get(text[-1:], 1)
    digits = text[:-1] if text[-1:] in units else text
    try:
        number = int(float(digits) * multiplier)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a size like 10M or 65536, got {value!r}"
        ) from None
    if number < 1024:
        raise ImproperlyConfigured(f"{name} must be at least 1K, got {value!r}")
    return number


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
TESTING = "pytest" in sys.modules or env_bool("DJANGO_TESTING", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
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
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "tasks",
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
    "tasks.middleware.StartEngineMiddleware",
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

# SQLite is tuned for many writer threads: WAL lets readers run beside the one writer,
# IMMEDIATE takes the write lock at BEGIN (so a transaction never fails half-way on an
# upgrade from read to write), and the busy timeout makes writers queue instead of
# failing with "database is locked".
SQLITE_OPTIONS = {
    "timeout": env_int("EXECUTOR_SQLITE_BUSY_TIMEOUT", 30, minimum=1),
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
except Exception as exc:
    raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed ({exc}): {DATABASE_URL!r}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
    # Tests use a real file too (not Django's shared in-memory database), so that the
    # engine's threads and child processes see the same WAL database a server would.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test-db.sqlite3")}
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
else:
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
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
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
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
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["tasks.api.parsers.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["tasks.api.renderers.SafeJSONRenderer"],
    "EXCEPTION_HANDLER": "tasks.api.envelope.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "tasks": {"handlers": ["console"], "level": os.environ.get("EXECUTOR_LOG_LEVEL", "INFO")},
    },
}

# The engine. Read where used (never cached at import), so tests can override them.
EXECUTOR_BACKEND = os.environ.get("EXECUTOR_BACKEND", "thread")
EXECUTOR_SCRIPTS = os.environ.get("EXECUTOR_SCRIPTS", str(BASE_DIR / "scripts" / "catalog.toml"))
EXECUTOR_MAX_WORKERS = env_int("EXECUTOR_MAX_WORKERS", 4, minimum=1)
EXECUTOR_MAX_PENDING = env_int("EXECUTOR_MAX_PENDING", 1000, minimum=1)
EXECUTOR_MAX_LOG_BYTES = env_bytes("EXECUTOR_MAX_LOG_BYTES", 10 * 1024 * 1024)
EXECUTOR_DEFAULT_TIMEOUT = env_float("EXECUTOR_DEFAULT_TIMEOUT", 3600, minimum=1)
EXECUTOR_KILL_GRACE = env_float("EXECUTOR_KILL_GRACE", 5, minimum=0)
EXECUTOR_FLUSH_INTERVAL = env_float("EXECUTOR_FLUSH_INTERVAL", 0.05, minimum=0.001)
EXECUTOR_HEARTBEAT_INTERVAL = env_float("EXECUTOR_HEARTBEAT_INTERVAL", 5, minimum=0.1)
EXECUTOR_STALE_AFTER = env_float("EXECUTOR_STALE_AFTER", 30, minimum=0.3)
EXECUTOR_CHILD_ENV = env_list("EXECUTOR_CHILD_ENV", [])
# Operations: finished runs older than this many days are purged once a day (0: never).
EXECUTOR_RETENTION_DAYS = env_int("EXECUTOR_RETENTION_DAYS", 0, minimum=0)
