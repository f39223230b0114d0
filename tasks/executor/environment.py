"""The environment a script runs in: an allow-list, never a copy of the server's."""

import os
import re
from pathlib import Path

from django.conf import settings

# What a script needs to behave like it does in a terminal. Nothing else of the server's
# environment passes: DJANGO_SECRET_KEY, DATABASE_URL, broker URLs and cloud credentials
# stay out unless an operator names them in EXECUTOR_CHILD_ENV.
ALLOWED = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "USER", "LOGNAME", "TERM")
ALLOWED_PREFIXES = ("LC_",)
# The server's own settings, secrets among them, never pass on, even when an operator
# names them in EXECUTOR_CHILD_ENV: the secret key, database, cache and broker URLs (which
# carry passwords), the first admin's password, and the engine's own settings.
NEVER = re.compile(
    r"^(DJANGO_.*|DATABASE_URL|CACHE_URL|REDIS_URL|CELERY_.*|BROKER_URL|EXECUTOR_.*)$"
)


# Put first on a Python script's path: it keeps Python's buffers but flushes them on a
# timer (see its docstring).
CHILD_SITE = Path(__file__).resolve().parent / "child_site"


def never_passed(name):
    return bool(NEVER.match(name))


def child_environment(task_env=None, task_id=None, live_output=True, unbuffered=False):
    names = set(ALLOWED) | set(settings.EXECUTOR_CHILD_ENV)
    env = {
        name: value
        for name, value in os.environ.items()
        if (name in names or name.startswith(ALLOWED_PREFIXES)) and not never_passed(name)
    }
    env.setdefault("PATH", os.defpath)
    env.setdefault("LANG", "C.UTF-8")
    # Scripts must stream: without help a Python child block-buffers its stdout into the
    # pipe and the dashboard sees nothing until 8 KiB have piled up or the script ends.
    # PYTHONUNBUFFERED costs a script printing millions of lines twice its time (two
    # writes per print), so by default a sitecustomize flushes its buffers on a timer;
    # `unbuffered = true` in the catalog still asks for PYTHONUNBUFFERED.
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    elif live_output:
        env["EXECUTOR_FLUSH_EVERY"] = f"{settings.EXECUTOR_FLUSH_INTERVAL:g}"
    # Their output is decoded as UTF-8 for display whatever the server's locale is.
    env["PYTHONIOENCODING"] = "utf-8"
    if task_id is not None:
        env["EXECUTOR_TASK_ID"] = str(task_id)
    env.update(task_env or {})
    if live_output and not unbuffered:
        path = env.get("PYTHONPATH")
        env["PYTHONPATH"] = os.pathsep.join([str(CHILD_SITE), *([path] if path else [])])
    return env
