"""The pre-aggregated figures (tasks/models/figures.py): counted by the verbs that end a
run, against a fixture computed by hand; the rebuild from the history gives the same rows;
a purge leaves them; the estimated percentile."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from tasks.history.purging import purge
from tasks.models import ScriptException, ScriptHour, ScriptTotal, Status, Task
from tasks.models.figures import BOUNDS, BUCKETS, bucket_of, hour_of, hour_start, percentile
from tasks.tests.factories import finished_run, make_task

T = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
H = hour_of(T)


def rows(model):
    """Every row of `model` as a comparable tuple, without its id."""
    found = []
    for row in model.objects.all():
        values = model_to_dict(row, exclude=["id"])
        if "duration_seconds" in values:
            values["duration_seconds"] = round(values["duration_seconds"], 6)
        found.append(tuple(sorted(values.items(), key=lambda item: item[0])))
    return sorted(found, key=repr)


def snapshot():
    return rows(ScriptHour), rows(ScriptTotal), rows(ScriptException)


@pytest.fixture
def history(user, other_user):
    """By hand, `echo` in the 09:00 UTC hour of T unless said:

    - alice: success 1.5 s (peak 300 KiB, 100 bytes), success 4 s (peak 900 KiB, 50 bytes),
      failed 0.3 s with "ValueError: x" (20 bytes, 5 dropped)
    - alice at 10:30: failed 60 s with "ValueError: x"
    - bob: cancelled before it started
    - alice, `lines`: success 0.005 s
    """
    finished_run(user, created_at=T, seconds=1.5, peak_memory_kb=300, log_bytes=100)
    later = T + timedelta(minutes=5)
    finished_run(user, created_at=later, seconds=4, peak_memory_kb=900, log_bytes=50)
    finished_run(
        user,
        status=Status.FAILED,
        created_at=T + timedelta(minutes=59),
        seconds=0.3,
        exception="ValueError: x",
        log_bytes=20,
        log_dropped_bytes=5,
    )
    finished_run(
        user,
        status=Status.FAILED,
        created_at=T + timedelta(minutes=90),
        seconds=60,
        exception="ValueError: x",
    )
    finished_run(other_user, status=Status.CANCELLED, created_at=T, started=False)
    finished_run(user, "lines", created_at=T, seconds=0.005)


def hour_row(**key):
    return ScriptHour.objects.get(**key)


def test_the_figures_of_the_fixture_by_hand(history, user, other_user):
    success = hour_row(script="echo", hour=H, user_pk=user.pk, status=Status.SUCCESS)
    assert (success.runs, success.started, success.timed) == (2, 2, 2)
    assert success.duration_seconds == pytest.approx(5.5)
    assert success.peak_memory_kb == 900
    assert (success.log_bytes, success.log_dropped_bytes) == (100 + 50, 0)
    # 1.5 s in (1, 2], 4 s in (2, 5].
    assert {
        name: count for name, count in zip(BUCKETS, success.buckets(), strict=True) if count
    } == {
        "d07": 1,
        "d08": 1,
    }
    failed = hour_row(script="echo", hour=H, user_pk=user.pk, status=Status.FAILED)
    assert (failed.runs, failed.log_bytes, failed.log_dropped_bytes) == (1, 20, 5)
    assert failed.peak_memory_kb is None
    assert failed.d05 == 1  # 0.3 s in (0.2, 0.5]
    later = hour_row(script="echo", hour=H + 1, status=Status.FAILED)
    assert (later.runs, later.d12) == (1, 1)  # 60 s in (50, 100]
    cancelled = hour_row(script="echo", hour=H, user_pk=other_user.pk, status=Status.CANCELLED)
    assert (cancelled.runs, cancelled.started, cancelled.timed) == (1, 0, 0)
    assert sum(cancelled.buckets()) == 0
    assert hour_row(script="lines", status=Status.SUCCESS).d00 == 1  # 5 ms: up to 10 ms

    total = ScriptTotal.objects.get(script="echo", status=Status.FAILED)
    assert (total.runs, total.timed, total.log_bytes) == (2, 2, 20)
    assert total.duration_seconds == pytest.approx(60.3)
    assert ScriptTotal.objects.get(script="echo", status=Status.SUCCESS).peak_memory_kb == 900
    assert ScriptTotal.objects.count() == 4  # echo: 3 statuses; lines: 1

    lines = sorted(ScriptException.objects.values_list("hour", "exception", "runs"))
    assert lines == [(H, "ValueError: x", 1), (H + 1, "ValueError: x", 1)]
    assert hour_start(H) == T


def test_active_runs_are_not_counted_until_they_end(user):
    make_task(user, "echo", Status.RUNNING)
    make_task(user, "echo", Status.PENDING)
    assert not ScriptHour.objects.exists()
    task = Task.objects.get(status=Status.RUNNING)
    assert task.request_cancel()  # running: only flagged, still not counted
    assert not ScriptHour.objects.exists()
    pending = Task.objects.get(status=Status.PENDING)
    assert pending.request_cancel()  # pending: ends at once, through finish
    assert ScriptTotal.objects.get(status=Status.CANCELLED).runs == 1


def test_an_interrupted_run_is_counted(user):
    task = make_task(user, "echo", Status.RUNNING, heartbeat_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert Task.objects.interrupt_stale(task.pk, error="gone")
    total = ScriptTotal.objects.get(script="echo")
    assert (total.status, total.runs, total.timed) == (Status.FAILED, 1, 1)


def test_a_run_ends_once_and_is_counted_once(user):
    task = finished_run(user, created_at=T)
    assert not task.finish(status=Status.FAILED, end_reason="exit")
    assert ScriptTotal.objects.get().runs == 1


def test_the_rebuild_gives_the_rows_the_verbs_wrote(history):
    incremental = snapshot()
    assert incremental[0]
    out = StringIO()
    call_command("rebuild_insight", stdout=out)
    assert snapshot() == incremental
    assert "Counted 6 finished runs." in out.getvalue()


def test_figures_stay_after_a_purge_and_a_rebuild_says_it_drops_them(history):
    incremental = snapshot()
    purge(None, Task.objects.filter(script="echo"))
    assert snapshot() == incremental

    out = StringIO()
    call_command("rebuild_insight", stdout=out)
    assert "5 fewer than before: those runs had been purged" in out.getvalue()
    assert list(ScriptTotal.objects.values_list("script", "runs")) == [("lines", 1)]


def test_a_rebuild_since_a_date_keeps_the_older_hours(history, user):
    purge(None, Task.objects.filter(created_at__lt=T + timedelta(hours=1)))
    call_command("rebuild_insight", "--since", "2026-11-20T10:00", stdout=StringIO())
    # The 09:00 hour is kept though its runs are gone; 10:00 was rebuilt from its run.
    assert ScriptHour.objects.filter(hour=H).count() == 4
    assert ScriptTotal.objects.get(script="echo", status=Status.FAILED).runs == 2


def test_a_rebuild_refuses_a_date_it_cannot_read(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--since must be a date"):
        call_command("rebuild_insight", "--since", "yesterday")


def test_the_bucket_bounds_include_their_upper_edge():
    assert bucket_of(timedelta(seconds=0.01)) == "d00"
    assert bucket_of(timedelta(seconds=0.010001)) == "d01"
    assert bucket_of(timedelta(seconds=50_000)) == BUCKETS[-2]
    assert bucket_of(timedelta(days=2)) == BUCKETS[-1]
    assert len(BUCKETS) == len(BOUNDS) + 1


def test_the_estimated_percentile():
    counts = [0] * len(BUCKETS)
    for seconds in range(1, 11):  # 1 in (0.5, 1], 2 in (1, 2], 3..5 in (2, 5], 6..10 in (5, 10]
        counts[BUCKETS.index(bucket_of(timedelta(seconds=seconds)))] += 1
    assert percentile(counts, 0.5) == timedelta(seconds=5)
    assert percentile(counts, 0.95) == timedelta(seconds=10)
    assert percentile(counts, 0.9) == timedelta(seconds=9)
    assert percentile([0] * len(BUCKETS), 0.5) is None
    past = [0] * len(BUCKETS)
    past[-1] = 1
    assert percentile(past, 0.5) == timedelta(seconds=BOUNDS[-1])


@pytest.mark.django_db(transaction=True)
def test_runs_ending_at_once_on_several_connections_are_all_counted(user):
    """Eight threads, each with its own database connection (a session apiece, as separate
    processes have), end runs of one script and hour together: the first INSERT wins and
    the others fall back to the UPDATE, so no run is lost or counted twice."""
    import threading

    from django.db import connection

    created = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    runs = [make_task(user, "echo", Status.RUNNING, created_at=created) for _ in range(24)]
    start = threading.Barrier(8)
    errors = []

    def end(share):
        try:
            start.wait(timeout=30)
            for task in share:
                assert task.finish(status=Status.SUCCESS, end_reason="exit")
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=end, args=(runs[index::8],)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert ScriptHour.objects.get(script="echo").runs == 24
    assert ScriptTotal.objects.get(script="echo").runs == 24
