"""Read settings from the environment: one parser per kind of value, each with a clear error.

Hand-written rather than django-environ: the values here have shapes of their own (sizes
such as 10M, rates such as 10/15m, the cache URLs we accept) and every error names the
variable and shows an example, which is what an operator reading a failed start needs.
`settings.py` only says what the settings are; nothing here touches the disk except
reading the `.env` file it is pointed at.
"""

import os
import re
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")
SIZE_UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3}
RATE_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400}

# SQLite is tuned for many writer threads: WAL lets readers run beside the one writer,
# IMMEDIATE takes the write lock at BEGIN (so a transaction never fails half-way on an
# upgrade from read to write), and the busy timeout makes writers queue instead of
# failing with "database is locked". A checkpoint (the WAL copied into the database,
# with its fsyncs) comes every 8,000 pages (32 MB) instead of SQLite's 1,000: a flooding
# run writes 40 MB a second of log chunks, and in a bare sqlite3 test 41 MB of 64 KiB
# blobs took 0.24-0.30 s with a checkpoint every 1,000 pages, 0.09-0.10 s without.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=8000;"
    ),
}


def load_dotenv(path: Path) -> None:
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


def _raw(name: str) -> str | None:
    """The variable's value, or None when it is unset or empty."""
    value = os.environ.get(name)
    return None if value is None or value == "" else value


def env_str(name: str, default: str) -> str:
    return _raw(name) or default


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off), got {value!r}")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def env_float(name: str, default: float, minimum: float | None = None) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def env_bytes(name: str, default: int, *, zero_means_off: bool = False) -> int:
    """A size such as 10485760, 512K, 10M or 1G (at least 1K); with `zero_means_off`,
    also "0", for a limit that can be turned off."""
    value = _raw(name)
    if value is None:
        return default
    if zero_means_off and value.strip() == "0":
        return 0
    text = value.strip().upper().removesuffix("B").removesuffix("I")
    multiplier = SIZE_UNITS.get(text[-1:], 1)
    digits = text[:-1] if text[-1:] in SIZE_UNITS else text
    try:
        number = int(float(digits) * multiplier)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a size like 10M or 65536, got {value!r}"
        ) from None
    if number < 1024:
        raise ImproperlyConfigured(f"{name} must be at least 1K, got {value!r}")
    return number


def env_list(name: str, default: list[str], *, separator: str = ",") -> list[str]:
    """Comma-separated values (or `separator`-separated, for values that hold commas
    themselves, such as LDAP DNs); set but empty means an empty list."""
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(separator) if item.strip()]


def env_names(name: str) -> list[str]:
    """Names separated by semicolons (a name may hold commas, as an LDAP DN does);
    unset or empty means none."""
    return [item.strip() for item in os.environ.get(name, "").split(";") if item.strip()]


def env_name_map(name: str) -> dict[str, list[str]]:
    """Pairs 'from=to' separated by semicolons, split at the last '=' (the left side may
    hold '=', as a DN does), as {from: [to, ...]}; a name may appear in several pairs."""
    mapping: dict[str, list[str]] = {}
    for pair in env_names(name):
        source, equals, target = pair.rpartition("=")
        if not equals or not source.strip() or not target.strip():
            raise ImproperlyConfigured(
                f"{name} must be pairs such as 'provider group=django group; ops=operators', "
                f"got {pair!r}"
            )
        mapping.setdefault(source.strip(), []).append(target.strip())
    return mapping


def env_rate(name: str, default: str) -> tuple[int, int] | None:
    """A rate such as 30/min or 10/15m, as (count, seconds); None for "off"."""
    value = (os.environ.get(name) or default).strip().lower()
    if value == "off":
        return None
    match = re.fullmatch(r"([1-9][0-9]*)/([1-9][0-9]*)?([a-z]+)", value)
    if not match or match[3] not in RATE_PERIODS:
        raise ImproperlyConfigured(
            f"{name} must look like 30/min, 10/15m, 100/h or off, got {value!r}"
        )
    return int(match[1]), int(match[2] or 1) * RATE_PERIODS[match[3]]


def env_database(
    name: str, default: str, *, sqlite_timeout: int, test_sqlite: Path
) -> dict[str, Any]:
    """The default database from a URL (dj-database-url), tuned for our engine's threads.

    A SQLite database gets SQLITE_OPTIONS and a test database in a real file (not
    Django's shared in-memory one), so that the engine's threads and child processes see
    the same WAL database a server would."""
    url = _raw(name) or default
    try:
        database: dict[str, Any] = dict(dj_database_url.parse(url))
    except Exception as exc:
        raise ImproperlyConfigured(f"{name} cannot be parsed ({exc}): {url!r}") from None
    if database["ENGINE"] == "django.db.backends.sqlite3":
        options = {**SQLITE_OPTIONS, "timeout": sqlite_timeout}
        database["OPTIONS"] = {**options, **database.get("OPTIONS", {})}
        database["TEST"] = {"NAME": str(test_sqlite)}
    else:
        database.setdefault("CONN_HEALTH_CHECKS", True)
    return database


def env_cache(name: str, default: str) -> dict[str, str]:
    """A cache from a URL: locmem://, file:///path, or redis://host:port/db."""
    url = _raw(name) or default
    if url.startswith("locmem://"):
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if url.startswith("file://"):
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": url.removeprefix("file://"),
        }
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    raise ImproperlyConfigured(
        f"{name} must start with locmem://, file:///path or redis://host:port/db, got {url!r}"
    )


def env_header(name: str) -> tuple[str, str] | None:
    """A request header and its value, 'X-Forwarded-Proto: https', as Django's META key
    and value (for SECURE_PROXY_SSL_HEADER); None when unset."""
    text = (os.environ.get(name) or "").strip()
    if not text:
        return None
    header, sep, value = text.partition(":")
    if not (sep and header.strip() and value.strip()):
        raise ImproperlyConfigured(
            f"{name} must look like 'X-Forwarded-Proto: https', got {text!r}"
        )
    return "HTTP_" + header.strip().upper().replace("-", "_"), value.strip()
