"""`manage.py check` reports catalog and engine configuration problems with hints."""

import os
import shutil

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError

from tasks.catalog import catalog_path, load_catalog
from tasks.services.engine import BACKENDS, BACKENDS_WITH_RETENTION, MAX_CHUNK

# Runs at once per process beyond which the pool costs more than it gives on one machine.
MAX_SENSIBLE_WORKERS = 64


@register(Tags.compatibility)
def check_catalog(app_configs=None, **kwargs):
    path = catalog_path()
    catalog = load_catalog(path)
    if catalog.load_error:
        return [
            Error(
                catalog.load_error,
                hint="Set EXECUTOR_SCRIPTS to the catalog file (or its folder), and check "
                "that it is valid TOML with [scripts.NAME] tables.",
                id="executor.E001",
            )
        ]
    problems = [
        Error(
            f"script {key!r} in {path}: {message}" if key else f"{path}: {message}",
            hint="This entry is left out of the catalog until it is fixed.",
            id="executor.E002",
        )
        for key, message in catalog.problems
    ]
    if not catalog.entries and not problems:
        problems.append(
            Warning(
                f"The catalog {path} declares no scripts.",
                hint="Add a [scripts.NAME] table with at least a path.",
                id="executor.W001",
            )
        )
    for entry in catalog:
        if not os.access(entry.interpreter, os.X_OK):
            problems.append(
                Error(
                    f"script {entry.key!r}: the interpreter {entry.interpreter} is not executable",
                    id="executor.E003",
                )
            )
    return problems


@register(Tags.compatibility)
def check_engine(app_configs=None, **kwargs):
    problems = []
    backend = settings.EXECUTOR_BACKEND
    if backend not in BACKENDS and "." not in backend:
        problems.append(
            Error(
                f"EXECUTOR_BACKEND={backend!r} is not a known backend",
                hint=f"Use one of {', '.join(sorted(BACKENDS))}, or a dotted path to a class.",
                id="executor.E010",
            )
        )
    if settings.EXECUTOR_STALE_AFTER <= settings.EXECUTOR_HEARTBEAT_INTERVAL * 2:
        problems.append(
            Error(
                "EXECUTOR_STALE_AFTER must be well above EXECUTOR_HEARTBEAT_INTERVAL "
                f"(now {settings.EXECUTOR_STALE_AFTER} s and "
                f"{settings.EXECUTOR_HEARTBEAT_INTERVAL} s)",
                hint="Otherwise live runs are ended as interrupted. Use at least three "
                "heartbeat intervals.",
                id="executor.E011",
            )
        )
    if shutil.which("python3") is None and shutil.which("python") is None:
        problems.append(
            Warning(
                "No python3 on PATH; scripts run with the server's own interpreter only.",
                id="executor.W010",
            )
        )
    return problems


@register(Tags.compatibility)
def check_operations(app_configs=None, **kwargs):
    """Retention, the log cap and the pool size: values that parse but do not work."""
    problems = []
    days = settings.EXECUTOR_RETENTION_DAYS
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        problems.append(
            Error(
                f"EXECUTOR_RETENTION_DAYS must be a whole number of days, got {days!r}",
                hint="Use 0 (keep every run) or the number of days to keep finished runs.",
                id="executor.E030",
            )
        )
    elif days and settings.EXECUTOR_BACKEND not in BACKENDS_WITH_RETENTION:
        problems.append(
            Warning(
                f"EXECUTOR_RETENTION_DAYS={days} is set, but the {settings.EXECUTOR_BACKEND!r} "
                "backend does not purge old runs by itself",
                hint=f"Run `manage.py purge_tasks --older-than {days}d` once a day (cron, a "
                "systemd timer), or use the thread or celery backend.",
                id="executor.W030",
            )
        )
    cap = settings.EXECUTOR_MAX_LOG_BYTES
    if cap < 4 * MAX_CHUNK:
        problems.append(
            Warning(
                f"EXECUTOR_MAX_LOG_BYTES={cap} keeps less than {4 * MAX_CHUNK // 1024} KiB per run",
                hint=f"Output is stored in chunks of up to {MAX_CHUNK // 1024} KiB and the cap "
                "keeps the first quarter and the last three quarters: below 256K a burst of "
                "output can leave little or nothing of a log's end. Use 1M or more.",
                id="executor.W031",
            )
        )
    workers = settings.EXECUTOR_MAX_WORKERS
    if workers > MAX_SENSIBLE_WORKERS:
        problems.append(
            Warning(
                f"EXECUTOR_MAX_WORKERS={workers} runs that many scripts at once in every web "
                "process",
                hint="Each run holds a thread, a child process and a database connection. "
                f"Stay at or below {MAX_SENSIBLE_WORKERS} and limit busy scripts with "
                "max_concurrent in the catalog; add machines (Celery) for more.",
                id="executor.W032",
            )
        )
    return problems


@register(Tags.database)
def check_catalog_groups(app_configs=None, databases=None, **kwargs):
    """Groups named in the catalog that do not exist: nobody (but "run any script") can
    run those scripts. Needs the database, so it runs with `check --database default`."""
    from django.contrib.auth.models import Group

    named = {group for entry in load_catalog(catalog_path()) for group in entry.groups}
    if not named or not databases:
        return []
    try:
        existing = set(Group.objects.filter(name__in=named).values_list("name", flat=True))
    except DatabaseError:
        return []  # not migrated yet: `migrate` runs the checks before it creates tables
    return [
        Warning(
            f"The catalog lets the group {name!r} run scripts, but there is no such group",
            hint="Create it (Admin > Groups) and add users to it, or fix the name in the "
            "catalog. Until then only users with 'Can run every script' can run them.",
            id="executor.W003",
        )
        for name in sorted(named - existing)
    ]
