"""Firing: each due time once, the overlap and missed-firing policies, pause and resume,
and a recorded skip when the owner may no longer run the script."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks.models import AuditEvent, Firing, Schedule, Status, Task, Trigger
from tasks.schedules import firing
from tasks.services import schedules
from tasks.tests.conftest import token_client

pytestmark = pytest.mark.django_db


def every(user, seconds=60, **fields):
    return schedules.create(
        user, {"script": "echo", "kind": "interval", "interval_seconds": seconds, **fields}
    )


def test_a_due_schedule_fires_once_as_its_owner(user, recorded):
    schedule = every(user, params={"greeting": "hi"})
    now = timezone.now()
    schedules.fire_due(now)
    task = Task.objects.get()
    assert (task.schedule, task.trigger, task.user, task.params["greeting"]) == (
        schedule,
        Trigger.SCHEDULE,
        user,
        "hi",
    )
    assert Firing.objects.get().task == task
    schedule.refresh_from_db()
    assert schedule.next_fire_at > now
    schedules.fire_due(now)  # nothing is due any more
    assert Task.objects.count() == 1


def test_two_schedulers_that_read_the_same_due_time_fire_it_once(user, recorded):
    every(user)
    now = timezone.now()
    seen_by_one, seen_by_other = Schedule.objects.get(), Schedule.objects.get()
    first = firing.fire(seen_by_one, schedules.start_firing, now=now)
    second = firing.fire(seen_by_other, schedules.start_firing, now=now)
    assert first is not None
    assert second is None
    assert (Task.objects.count(), Firing.objects.count()) == (1, 1)


def make_running(task):
    Task.objects.filter(pk=task.pk).update(status=Status.RUNNING, started_at=timezone.now())


def fire_twice(schedule):
    now = timezone.now()
    schedules.fire_due(now)
    make_running(Task.objects.get())
    schedules.fire_due(now + timedelta(seconds=schedule.interval_seconds))


def test_overlap_skip_records_the_skip(user, recorded):
    schedule = every(user, overlap="skip")
    fire_twice(schedule)
    skipped = Firing.objects.get(outcome="skipped")
    assert "still going" in skipped.reason
    assert Task.objects.count() == 1


def test_overlap_parallel_starts_a_second_run(user, recorded):
    schedule = every(user, overlap="parallel")
    fire_twice(schedule)
    assert Task.objects.count() == 2
    assert set(Firing.objects.values_list("outcome", flat=True)) == {"run"}


def test_overlap_queue_holds_one_run_until_the_last_one_ends(user, recorded):
    schedule = every(user, overlap="queue")
    fire_twice(schedule)
    queued = Firing.objects.get(outcome="queued")
    schedules.fire_due(timezone.now() + timedelta(seconds=120))  # a third: one is already queued
    assert Firing.objects.filter(outcome="skipped", reason__contains="already queued").exists()
    assert Task.objects.count() == 1
    Task.objects.update(status=Status.SUCCESS, completed_at=timezone.now())
    firing.release_queued(schedules.start_firing)
    queued.refresh_from_db()
    assert queued.outcome == "run"
    assert queued.task.schedule == schedule


@pytest.mark.parametrize(
    ("policy", "runs", "outcome"), [("run_once", 1, "run"), ("skip", 0, "skipped")]
)
def test_missed_firings_follow_the_policy(user, recorded, policy, runs, outcome):
    schedule = every(user, seconds=60, missed=policy)
    now = timezone.now()
    Schedule.objects.filter(pk=schedule.pk).update(next_fire_at=now - timedelta(hours=3))
    schedules.fire_due(now)
    schedules.fire_due(now)
    assert Task.objects.count() == runs
    only = Firing.objects.get()
    assert only.outcome == outcome
    assert "missed" in only.reason
    schedule.refresh_from_db()
    assert schedule.next_fire_at == now + timedelta(seconds=60)


def test_a_paused_schedule_does_not_fire_and_resumes_from_now(user, recorded):
    schedule = every(user)
    schedules.pause(user, schedule)
    schedules.fire_due(timezone.now() + timedelta(hours=1))
    assert Firing.objects.count() == 0
    schedules.resume(user, schedule)
    schedules.fire_due()
    assert Firing.objects.get().outcome == "run"
    actions = list(AuditEvent.objects.order_by("at").values_list("action", flat=True))
    assert actions[:3] == ["schedule_create", "schedule_pause", "schedule_resume"]


def test_an_owner_who_lost_access_gets_a_recorded_skip(user, club, recorded):
    user.groups.add(club)
    schedules.create(user, {"script": "secret_club", "kind": "interval", "interval_seconds": 5})
    user.groups.remove(club)
    schedules.fire_due()
    skipped = Firing.objects.get()
    assert skipped.outcome == "skipped"
    assert "alice may no longer run 'secret_club'" in skipped.reason
    assert not Task.objects.exists()


def test_an_inactive_owner_gets_a_recorded_skip(user, recorded):
    every(user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    schedules.fire_due()
    assert Firing.objects.get().outcome == "skipped"


def test_a_one_off_fires_once_and_then_has_nothing_due(user, recorded):
    at = timezone.now() + timedelta(seconds=30)
    schedule = schedules.create(user, {"script": "echo", "kind": "once", "run_at": at.isoformat()})
    schedules.fire_due(at + timedelta(seconds=1))
    schedule.refresh_from_db()
    assert schedule.next_fire_at is None
    assert Firing.objects.get().due_at == at


def test_the_history_and_the_api_filter_by_schedule(user, recorded, client):
    schedule = every(user)
    schedules.fire_due()
    by_hand = Task.objects.create(
        script="echo",
        script_path="echo.py",
        interpreter="python",
        timeout=5,
        user=user,
        user_name=user.username,
    )
    api = token_client(user)
    listed = api.get(f"/api/tasks?schedule={schedule.pk}").json()["tasks"]
    assert [row["id"] for row in listed] == [str(Task.objects.get(schedule=schedule).pk)]
    assert by_hand.pk not in [row["id"] for row in listed]
    assert api.get("/api/tasks?schedule=x").status_code == 400
    client.force_login(user)
    assert client.get(f"/history/?schedule={schedule.pk}").status_code == 200
