"""A tick fires its due schedules as one batch and falls back to one by one when the
batch fails: both ways give each schedule the outcome its policies and its owner's access
say, each run to its own schedule, nothing twice; releasing queued firings costs a fixed
number of queries however many are queued. On a real database, committed."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks.models import Firing, Schedule, Status, Task
from tasks.schedules import firing
from tasks.services import schedules

pytestmark = pytest.mark.django_db(transaction=True)


def every(user, name, script="echo", **fields):
    return schedules.create(
        user,
        {
            "name": name,
            "script": script,
            "kind": "interval",
            "interval_seconds": 60,
            "params": {"greeting": name} if script == "echo" else {},
            **fields,
        },
    )


def going(schedule):
    """A run of `schedule` that is still running."""
    return Task.objects.create(
        script=schedule.script,
        script_path="echo.py",
        interpreter="python",
        timeout=30,
        user=schedule.owner,
        user_name=schedule.owner.username,
        status=Status.RUNNING,
        started_at=timezone.now(),
        schedule=schedule,
    )


@pytest.fixture
def mixed(user, club, recorded):
    """Schedules that are all due now, each meant to end differently."""
    now = timezone.now()
    user.groups.add(club)
    made = {
        "runs": every(user, "runs", overlap="parallel"),
        "also runs": every(user, "also runs", overlap="skip"),
        "still going": every(user, "still going", overlap="skip"),
        "queued": every(user, "queued", overlap="queue"),
        "lost access": every(user, "lost access", script="secret_club"),
        "missed": every(user, "missed", missed="skip"),
        "missed, run once": every(user, "missed, run once", missed="run_once"),
    }
    user.groups.remove(club)
    going(made["still going"])
    going(made["queued"])
    Schedule.objects.filter(pk=made["missed"].pk).update(next_fire_at=now - timedelta(hours=2))
    Schedule.objects.filter(pk=made["missed, run once"].pk).update(
        next_fire_at=now - timedelta(hours=2)
    )
    return made


EXPECTED = {
    "runs": ("run", ""),
    "also runs": ("run", ""),
    "still going": ("skipped", "is still going"),
    "queued": ("queued", "waits for run"),
    "lost access": ("skipped", "alice may no longer run 'secret_club'"),
    "missed": ("skipped", "missed (the scheduler was not running): skipped"),
    "missed, run once": ("run", "missed (the scheduler was not running): run once"),
}


def outcomes():
    return {
        f.schedule.name: (f.outcome, f.reason) for f in Firing.objects.select_related("schedule")
    }


def assert_as_expected(found):
    assert set(found) == set(EXPECTED)
    for name, (outcome, reason) in EXPECTED.items():
        assert found[name][0] == outcome, name
        assert reason in found[name][1], name


def assert_each_run_is_its_schedules():
    ran = Firing.objects.filter(outcome="run").select_related("task", "schedule")
    assert ran.count() == 3
    for fired in ran:
        assert fired.task.schedule_id == fired.schedule_id
        assert fired.task.params["greeting"] == fired.schedule.name
    # The two runs going before, and one per firing that ran: none left by a rollback.
    assert Task.objects.count() == 2 + 3


def fails_after_starting_runs(due):
    schedules.start_firings(due)  # the runs' rows are written, then the batch fails
    raise DatabaseError("the batch failed after writing its runs")


@pytest.mark.parametrize("path", ["batch", "one by one"], ids=["batch", "fallback"])
def test_a_mixed_batch_gives_each_schedule_its_own_outcome(mixed, path):
    start_many = schedules.start_firings if path == "batch" else fails_after_starting_runs
    fired = firing.tick(schedules.start_firing, start_many=start_many, worker="here")
    assert len(fired) == len(EXPECTED)
    assert_as_expected(outcomes())
    assert_each_run_is_its_schedules()
    for schedule in Schedule.objects.all():
        assert schedule.next_fire_at > timezone.now()  # every due time was claimed
    # Nothing is due any more: a second tick fires nothing, by either path.
    assert firing.tick(schedules.start_firing, start_many=start_many) == []
    assert Firing.objects.count() == len(EXPECTED)


def test_a_batch_leaves_out_what_another_process_claimed_after_it_read(mixed):
    now = timezone.now()
    due = list(Schedule.objects.filter(next_fire_at__lte=now).select_related("owner"))
    claimed_elsewhere = mixed["runs"]
    Schedule.objects.filter(pk=claimed_elsewhere.pk).update(next_fire_at=now + timedelta(hours=1))
    firing.fire_batch(due, schedules.start_firings, now=now)
    found = outcomes()
    assert "runs" not in found
    assert_as_expected({"runs": EXPECTED["runs"], **found})
    assert not Task.objects.filter(schedule=claimed_elsewhere).exists()


def test_the_fallback_fires_the_others_when_one_cannot_fire(mixed):
    broken = mixed["also runs"]

    def start(schedule):
        if schedule.pk == broken.pk:
            raise DatabaseError("this one's run cannot be written")
        return schedules.start_firing(schedule)

    firing.tick(start, start_many=fails_after_starting_runs)
    found = outcomes()
    assert "also runs" not in found  # its transaction was rolled back: still due
    assert_as_expected({"also runs": EXPECTED["also runs"], **found})
    assert Schedule.objects.get(pk=broken.pk).next_fire_at <= timezone.now()
    # The next tick, with a start that works, fires it once.
    firing.tick(schedules.start_firing, start_many=schedules.start_firings)
    assert_as_expected(outcomes())


def queue_up(user, count):
    """`count` schedules, each with a firing queued behind a run that has since ended."""
    made = [every(user, f"queued {n}", overlap="queue") for n in range(count)]
    now = timezone.now()
    schedules.fire_due(now)
    Task.objects.update(status=Status.RUNNING, started_at=now)
    schedules.fire_due(now + timedelta(seconds=61))
    assert Firing.objects.filter(outcome="queued").count() == count
    Task.objects.update(status=Status.SUCCESS, completed_at=timezone.now())
    return made


def released_with_queries(count, user):
    Schedule.objects.all().delete()
    Task.objects.all().delete()
    queue_up(user, count)
    with CaptureQueriesContext(connection) as queries:
        released = firing.release_queued(schedules.start_firing, schedules.start_firings)
    assert [f.outcome for f in released] == ["run"] * count
    assert Firing.objects.filter(outcome="queued").count() == 0
    return len(queries)


def test_releasing_queued_firings_costs_the_same_queries_for_one_or_many(
    user, recorded, django_assert_max_num_queries
):
    one = released_with_queries(1, user)
    many = released_with_queries(12, user)
    assert many == one, f"one queued firing: {one} queries; twelve: {many}"
    assert one <= 12  # 11 today: the reads, the lock, the runs written, one UPDATE
    queue_up(user, 0)
    with django_assert_max_num_queries(1):  # nothing queued: one SELECT per tick
        assert firing.release_queued(schedules.start_firing, schedules.start_firings) == []


def test_released_runs_belong_to_their_schedules_and_are_released_once(user, recorded):
    made = queue_up(user, 5)
    first = firing.release_queued(schedules.start_firing, schedules.start_firings)
    again = firing.release_queued(schedules.start_firing, schedules.start_firings)
    assert (len(first), again) == (5, [])
    assert {f.schedule_id for f in first} == {s.pk for s in made}
    for released in Firing.objects.filter(pk__in=[f.pk for f in first]).select_related("task"):
        assert released.outcome == "run"
        assert released.task.schedule_id == released.schedule_id
        assert released.task.params["greeting"] == released.schedule.name
    assert Task.objects.count() == 10  # five ended, five released


def test_a_failed_release_batch_falls_back_to_one_by_one(user, club, recorded):
    made = queue_up(user, 3)
    user.groups.add(club)
    lost = every(user, "lost", script="secret_club", overlap="queue")
    user.groups.remove(club)
    going(lost)
    Firing.objects.create(schedule=lost, due_at=timezone.now(), outcome="queued")
    Task.objects.filter(schedule=lost).update(status=Status.SUCCESS)
    released = firing.release_queued(schedules.start_firing, fails_after_starting_runs)
    assert len(released) == 4
    assert Firing.objects.get(schedule=lost, outcome="skipped").reason.endswith(
        "may no longer run 'secret_club'"
    )
    for schedule in made:
        assert Firing.objects.filter(schedule=schedule, outcome="run").count() == 2
    assert Task.objects.count() == 3 + 3 + 1  # ended, released, lost's ended one
