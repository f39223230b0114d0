"""The thread pool's dispatcher ticks the scheduler: an every-second schedule fires about
once a second with real runs that succeed."""

import time

import pytest
from django.utils import timezone

from tasks import services
from tasks.models import Firing, Schedule, Status, Task
from tasks.services import schedules


def wait_until(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_an_every_second_schedule_fires_n_times_in_n_seconds_with_real_runs(engine, user):
    seconds = 5
    schedule = schedules.create(
        user,
        {"script": "echo", "kind": "interval", "interval_seconds": 1, "overlap": "parallel"},
    )
    started = schedule.next_fire_at
    time.sleep(seconds)
    schedules.pause(user, Schedule.objects.get())
    window = Firing.objects.filter(due_at__lt=started + timezone.timedelta(seconds=seconds))
    assert seconds - 1 <= window.count() <= seconds + 1
    # Each fired on time (within ~1 s of its due time) and ran for real.
    lateness = [(f.fired_at - f.due_at).total_seconds() for f in window]
    assert max(lateness) < 1.5, lateness
    assert wait_until(lambda: not Task.objects.active().exists())
    statuses = set(Task.objects.filter(schedule=schedule).values_list("status", flat=True))
    assert statuses == {Status.SUCCESS}


@pytest.mark.django_db(transaction=True)
def test_overlap_skip_with_a_slow_script(engine, user, pidfile):
    schedule = schedules.create(
        user,
        {
            "script": "sleeper",
            "params": {"pidfile": str(pidfile)},
            "kind": "interval",
            "interval_seconds": 1,
            "overlap": "skip",
        },
    )
    assert wait_until(lambda: Firing.objects.filter(outcome="skipped").count() >= 2)
    schedules.pause(user, Schedule.objects.get())
    assert Task.objects.filter(schedule=schedule).count() == 1
    assert "still going" in Firing.objects.filter(outcome="skipped").first().reason
    for task in Task.objects.active():
        services.cancel(user, task)
