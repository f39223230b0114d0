"""Schedules with two real Celery workers over one PostgreSQL database: each worker's
housekeeping ticks the scheduler, and every due time is fired once, by one of them, with
one run that a worker runs to success."""

import time
from datetime import timedelta

import pytest

from tasks.models import Firing, FiringOutcome, Schedule, Status, Task
from tasks.services import schedules
from tasks.tests.celery import ONE_BROKER, skip_unless_postgres
from tasks.tests.helpers import wait_for

skip_unless_postgres()

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), ONE_BROKER]

SECONDS = 6


def test_two_workers_fire_each_due_time_once(cluster, celery_backend, user):
    schedule = schedules.create(
        user,
        {"script": "echo", "kind": "interval", "interval_seconds": 1, "overlap": "parallel"},
    )
    started = schedule.next_fire_at
    wait_for(
        lambda: Firing.objects.filter(schedule=schedule).count() >= SECONDS,
        timeout=60,
        message=f"{SECONDS} firings",
    )
    schedules.pause(user, Schedule.objects.get())
    time.sleep(1.5)  # a tick that read the schedule before the pause has ended
    firings = list(Firing.objects.filter(schedule=schedule).order_by("due_at"))
    due = [firing.due_at for firing in firings]
    # One firing per due time: one second apart from the first, none twice, none left out.
    assert due == [started + timedelta(seconds=n) for n in range(len(due))]
    assert {firing.outcome for firing in firings} == {FiringOutcome.RUN}
    # One run per firing, each run by one firing, and only the workers fired them.
    runs = Task.objects.filter(schedule=schedule)
    assert sorted(str(f.task_id) for f in firings) == sorted(
        str(pk) for pk in runs.values_list("pk", flat=True)
    )
    labels = {cluster["one"].label, cluster["two"].label}
    assert {firing.worker for firing in firings} <= labels
    wait_for(
        lambda: not Task.objects.active().filter(schedule=schedule).exists(),
        timeout=60,
        message="the runs to end",
    )
    assert set(runs.values_list("status", flat=True)) == {Status.SUCCESS}
