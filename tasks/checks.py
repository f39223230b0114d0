"""`manage.py check` reports catalog and engine configuration problems with hints."""

import os
import shutil

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from tasks.catalog import catalog_path, load_catalog
from tasks.executor.backends import BACKENDS


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
