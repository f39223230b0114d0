"""The watchdog on real runs: a script that goes silent is flagged stalled within a second
of its stall_after and cleared when it prints again; one stalled too long is cancelled;
one far past its usual duration is flagged overran once. PYTHONUNBUFFERED is removed
from the child's environment by the suite's conftest."""

import time
from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from tasks import services
from tasks.models import Channel, Delivery, Status, Subscription, Task
from tasks.tests.factories import make_task
from tasks.tests.helpers import wait_finished, wait_for


def test_a_silent_run_is_flagged_within_a_second_and_cleared_when_it_prints(engine, user):
    task = services.execute(user, "quiet", {"silence": 3})
    wait_for(lambda: Task.objects.get(pk=task.pk).log_bytes > 0, message="the first line")
    first_line = time.monotonic()
    wait_for(lambda: Task.objects.get(pk=task.pk).stalled_at, timeout=5, message="the flag")
    flagged_after = time.monotonic() - first_line
    # stall_after is 1 s for this entry; "within a second" of it.
    assert 0.7 <= flagged_after <= 2.0, flagged_after
    wait_for(lambda: "back again" in Task.objects.get(pk=task.pk).stdout_tail, timeout=5)
    wait_for(lambda: Task.objects.get(pk=task.pk).stalled_at is None, timeout=2, message="clearing")
    assert wait_finished(task.pk).status == Status.SUCCESS


def test_a_run_that_prints_steadily_is_never_flagged(engine, user):
    task = services.execute(user, "quiet", {"silence": 0.3})
    finished = wait_finished(task.pk)
    assert finished.status == Status.SUCCESS
    assert finished.stalled_at is None


def test_the_default_stall_after_applies_and_unset_means_off(engine, settings, user):
    settings.EXECUTOR_STALL_AFTER = 0.3
    task = services.execute(user, "lines", {"count": 2, "delay": 0.8})
    wait_for(lambda: Task.objects.get(pk=task.pk).stalled_at, timeout=5, message="the flag")
    wait_finished(task.pk)
    settings.EXECUTOR_STALL_AFTER = None
    task = services.execute(user, "lines", {"count": 2, "delay": 0.8})
    assert wait_finished(task.pk).stalled_at is None


def test_a_run_stalled_too_long_is_cancelled_when_its_entry_says_so(engine, user):
    task = services.execute(user, "quiet_cancelled")
    finished = wait_finished(task.pk)
    assert finished.status == Status.CANCELLED
    assert finished.stalled_at is not None
    assert "back again" not in finished.stdout_tail


def test_a_run_far_past_its_usual_duration_overruns_once(engine, user):
    for _ in range(5):
        make_task(user, "quiet", duration=timedelta(seconds=0.3))
    channel = Channel.objects.create(name="hook", kind="webhook", target="http://127.0.0.1:9/")
    Subscription.objects.create(channel=channel, user=user, events=["overran", "stalled"])
    task = services.execute(user, "quiet", {"silence": 1.5})
    finished = wait_finished(task.pk)
    assert finished.overran_at is not None
    assert finished.overran_at - finished.started_at >= timedelta(seconds=0.9)

    def events():
        return sorted(Delivery.objects.filter(task=task).values_list("event", flat=True))

    wait_for(lambda: len(events()) == 2, timeout=5, message="the notifier to raise both")
    assert events() == ["overran", "stalled"]


def test_fewer_than_five_earlier_runs_never_overrun(engine, user):
    for _ in range(4):
        make_task(user, "quiet", duration=timedelta(seconds=0.1))
    task = services.execute(user, "quiet", {"silence": 0.5})
    assert wait_finished(task.pk).overran_at is None


def test_the_api_tells_a_runs_stall_and_overrun(db, user):
    task = make_task(user, "quiet", status=Status.RUNNING, stalled_at=timezone.now())
    client = APIClient()
    client.force_authenticate(user)
    data = client.get(f"/api/tasks/{task.pk}").json()["task"]
    assert data["stalled_at"] is not None
    assert data["overran_at"] is None
