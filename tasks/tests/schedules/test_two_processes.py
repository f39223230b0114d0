"""Two scheduler processes over one database fire each due time once."""

import os
import subprocess
import sys
import time

import pytest

from tasks.models import Firing, Task
from tasks.services import schedules
from tasks.tests.helpers import database_url

TICK_IN_A_PROCESS = """
import os, sys, time
import django
django.setup()
from tasks.services import schedules
go, until = sys.argv[1], float(sys.argv[2])
while not os.path.exists(go):
    time.sleep(0.001)
fired = 0
while time.time() < until:
    fired += len(schedules.fire_due())
    time.sleep(0.01)
print(fired, flush=True)
"""


@pytest.mark.django_db(transaction=True)
def test_two_processes_fire_each_firing_once(user, settings, tmp_path):
    for _ in range(5):
        schedules.create(
            user,
            {"script": "echo", "kind": "interval", "interval_seconds": 1, "overlap": "parallel"},
        )
    go = tmp_path / "go"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "executor_site.settings",
        "DJANGO_SECRET_KEY": "test",
        "DJANGO_ENV_FILE": "/nonexistent",
        "DATABASE_URL": database_url(),
        "EXECUTOR_SCRIPTS": settings.EXECUTOR_SCRIPTS,
        "EXECUTOR_BACKEND": "record",  # rows only: this test is about claiming
    }
    until = time.time() + 6
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", TICK_IN_A_PROCESS, str(go), str(until)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(1.5)  # both set up and waiting for the start signal
    go.write_text("go")
    counts = [int(process.communicate(timeout=60)[0].strip()) for process in processes]
    firings = Firing.objects.count()
    assert sum(counts) == firings
    assert firings >= 5 * 3  # about four seconds of five every-second schedules
    assert Task.objects.count() == Firing.objects.filter(outcome="run").count() == firings
    assert Firing.objects.exclude(task=None).values("task").distinct().count() == firings
