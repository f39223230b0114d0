"""Set up Django for a benchmark: its own SQLite file, the bench catalog, a user."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_CATALOG = Path(__file__).resolve().parent / "scripts" / "catalog.toml"


def setup(database_url=None, **settings_env):
    """Configure and start Django; returns the path of the throwaway database (or None)."""
    sys.path.insert(0, str(ROOT))
    db_path = None
    if database_url is None:
        db_path = Path(tempfile.mkdtemp(prefix="executor-bench-")) / "bench.sqlite3"
        database_url = f"sqlite:///{db_path}"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-key")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    # In-process clients speak plain HTTP, and benchmarks start runs faster than a person.
    os.environ.setdefault("DJANGO_HTTPS", "0")
    os.environ.setdefault("EXECUTOR_RUN_RATE", "off")
    os.environ["EXECUTOR_SCRIPTS"] = str(BENCH_CATALOG)
    os.environ.pop("PYTHONUNBUFFERED", None)  # a user's machine does not set it
    for name, value in settings_env.items():
        os.environ[name] = str(value)
    os.environ["DJANGO_SETTINGS_MODULE"] = "executor_site.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return db_path


def bench_user():
    from django.contrib.auth.models import User

    user, _ = User.objects.get_or_create(username="bench", defaults={"is_superuser": True})
    return user


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def wait_finished(task_id, timeout=600):
    """Wait like an idle web server would: asleep until the engine says something
    changed (tasks.live), with a slow database poll as the fallback."""
    import time

    from tasks import live
    from tasks.models import Task

    deadline = time.monotonic() + timeout
    seen = live.version(task_id)
    while time.monotonic() < deadline:
        task = Task.objects.get(pk=task_id)
        if task.is_finished:
            return task
        seen = live.wait(task_id, seen, 0.5)
    raise TimeoutError(f"task {task_id} did not finish in {timeout} s")


def rss_mib():
    """This process's resident memory in MiB, from /proc (0 where there is none)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0
