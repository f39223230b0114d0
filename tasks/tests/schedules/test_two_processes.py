"""Two scheduler processes over one database fire each due time once.

No fixed window: the processes tick until told to stop, and the test waits on what the
database counts (firings by each process), with a generous timeout, so a loaded machine
makes it slower, not red."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from itertools import pairwise

import pytest

from tasks.models import Firing, Schedule, Task
from tasks.services import schedules
from tasks.tests.helpers import database_url

TICK_IN_A_PROCESS = """
import os, sys, time
import django
django.setup()
from tasks.services import schedules
ready, go, stop = sys.argv[1:4]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.01)
fired = ticks = 0
while not os.path.exists(stop):
    fired += len(schedules.fire_due())
    ticks += 1
    time.sleep(0.01)
print(fired, ticks, flush=True)
"""
SCHEDULES = 5
DUE_TIMES = 3  # at least, of each schedule
TIMEOUT = 120.0


def wait_until(condition, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"waited {timeout:.0f} s for {what}")


@pytest.mark.django_db(transaction=True)
def test_two_processes_fire_each_firing_once(user, settings, tmp_path):
    go, stop = tmp_path / "go", tmp_path / "stop"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "executor_site.settings",
        "DJANGO_SECRET_KEY": "test",
        "DJANGO_ENV_FILE": "/nonexistent",
        "DATABASE_URL": database_url(),
        "EXECUTOR_SCRIPTS": settings.EXECUTOR_SCRIPTS,
        "EXECUTOR_BACKEND": "record",  # rows only: this test is about claiming
    }
    ready = [tmp_path / f"ready-{number}" for number in range(2)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", TICK_IN_A_PROCESS, str(flag), str(go), str(stop)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for flag in ready
    ]
    try:
        wait_until(lambda: all(flag.exists() for flag in ready), "both processes to start")
        # Made once both are ticking, so the first due times are not "missed" on a slow start.
        every_second = {"kind": "interval", "interval_seconds": 1, "overlap": "parallel"}
        for _ in range(SCHEDULES):
            schedules.create(user, {"script": "echo", **every_second})
        go.write_text("go")
        wait_until(
            lambda: (
                Firing.objects.count() >= SCHEDULES * DUE_TIMES
                and Firing.objects.values("worker").distinct().count() == 2
            ),
            f"{SCHEDULES * DUE_TIMES} firings, some by each process",
        )
        stop.write_text("stop")
        reports = [process.communicate(timeout=TIMEOUT)[0].split() for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    counts = [int(fired) for fired, _ in reports]
    assert all(int(ticks) > 0 for _, ticks in reports)
    firings = Firing.objects.count()
    # What the two processes say they fired is what the database holds: none fired twice.
    assert sum(counts) == firings
    assert Task.objects.count() == Firing.objects.filter(outcome="run").count() == firings
    assert Firing.objects.exclude(task=None).values("task").distinct().count() == firings
    # And none was left out: each schedule's due times follow each other a second apart.
    for schedule in Schedule.objects.all():
        due = list(schedule.firings.order_by("due_at").values_list("due_at", flat=True))
        gaps = {later - earlier for earlier, later in pairwise(due)}
        assert gaps <= {timedelta(seconds=1)}, (schedule.pk, due)
