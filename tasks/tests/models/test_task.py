"""Every state change of a run is a verb on the model, guarded by the status it expects:
each wins once, and loses (changing nothing) when the row is not in that state."""

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tasks.models import EndReason, RetentionPass, Status, Task
from tasks.tests.factories import make_task
from tasks.tests.helpers import database_url

pytestmark = pytest.mark.django_db


def fresh(task):
    return Task.objects.get(pk=task.pk)


def running(user, **fields):
    return make_task(user, status=Status.RUNNING, started_at=timezone.now(), **fields)


# claim


def test_claim_wins_once_and_returns_the_running_row(user):
    task = make_task(user, status=Status.PENDING)
    claimed = Task.claim(task.pk, "host:1", ["id", "script"])
    assert (claimed.pk, claimed.script) == (task.pk, task.script)
    row = fresh(task)
    assert (row.status, row.worker) == (Status.RUNNING, "host:1")
    assert row.started_at == row.heartbeat_at is not None
    assert Task.claim(task.pk, "host:2") is None
    assert fresh(task).worker == "host:1"


@pytest.mark.parametrize("status", [Status.RUNNING, Status.SUCCESS, Status.CANCELLED])
def test_claim_loses_unless_pending(user, status):
    task = make_task(user, status=status)
    assert Task.claim(task.pk, "host:1") is None
    assert fresh(task).status == status


def test_claim_refuses_a_database_without_returning(user, monkeypatch):
    from django.db import NotSupportedError

    task = make_task(user, status=Status.PENDING)
    monkeypatch.setattr(connection.features, "can_return_rows_from_update", False)
    with pytest.raises(NotSupportedError):
        Task.claim(task.pk, "host:1")
    assert fresh(task).status == Status.PENDING


# start, heartbeat, forget_secrets


def test_start_records_the_child_once(user):
    task = running(user)
    assert task.start(pid=123, interpreter="/usr/bin/python3") is True
    row = fresh(task)
    assert (row.pid, row.interpreter, row.heartbeat_at is not None) == (
        123,
        "/usr/bin/python3",
        True,
    )
    assert task.start(pid=456) is False
    assert fresh(task).pid == 123


def test_start_loses_when_the_run_is_not_running(user):
    task = make_task(user, status=Status.CANCELLED)
    assert task.start(pid=123) is False
    assert fresh(task).pid is None


def test_heartbeat_wins_while_running_and_loses_after_the_end(user):
    task = running(user)
    assert task.heartbeat(log_bytes=10, progress=50) is True
    assert (fresh(task).log_bytes, fresh(task).progress) == (10, 50)
    assert task.finish(status=Status.SUCCESS, end_reason=EndReason.EXIT) is True
    assert task.heartbeat(log_bytes=20) is False
    assert fresh(task).log_bytes == 10


def test_forget_secrets_clears_them_once_and_only_while_running(user):
    task = running(user, sealed_secrets="sealed")
    assert task.forget_secrets() is True
    assert fresh(task).sealed_secrets == ""
    assert task.forget_secrets() is False  # nothing left to forget
    ended = make_task(user, status=Status.FAILED, sealed_secrets="sealed")
    assert ended.forget_secrets() is False
    assert fresh(ended).sealed_secrets == "sealed"


# finish and request_cancel


def test_finish_wins_once_with_its_end_reason_and_duration(user):
    task = running(user)
    assert task.finish(status=Status.FAILED, end_reason=EndReason.TIMEOUT, error="late") is True
    row = fresh(task)
    assert (row.status, row.end_reason, row.error) == (Status.FAILED, EndReason.TIMEOUT, "late")
    assert row.duration is not None
    assert task.duration == row.duration
    assert task.finish(status=Status.SUCCESS, end_reason=EndReason.EXIT) is False
    assert fresh(task).status == Status.FAILED


def test_finish_loses_outside_its_from_statuses(user):
    task = make_task(user, status=Status.PENDING)
    assert not task.finish(
        status=Status.SUCCESS, end_reason=EndReason.EXIT, from_statuses=(Status.RUNNING,)
    )
    assert fresh(task).status == Status.PENDING


def test_request_cancel_ends_a_pending_run_and_flags_a_running_one_once(user):
    pending = make_task(user, status=Status.PENDING, sealed_secrets="sealed")
    assert pending.request_cancel() is True
    row = fresh(pending)
    assert (row.status, row.end_reason, row.sealed_secrets) == (
        Status.CANCELLED,
        EndReason.CANCELLED,
        "",
    )
    task = running(user)
    assert task.request_cancel() is True
    flagged = fresh(task).cancel_requested_at
    assert flagged is not None
    assert task.request_cancel() is True  # still running: the flag stands, unchanged
    assert fresh(task).cancel_requested_at == flagged
    assert fresh(task).status == Status.RUNNING


def test_request_cancel_loses_against_a_finished_run(user):
    task = make_task(user, status=Status.SUCCESS)
    assert task.request_cancel() is False
    row = fresh(task)
    assert (row.status, row.cancel_requested_at) == (Status.SUCCESS, None)


# interrupt_stale, explain_interruption


def test_interrupt_stale_ends_a_silent_run_once_and_spares_a_live_one(user, settings):
    settings.EXECUTOR_STALE_AFTER = 60
    long_ago = timezone.now() - timedelta(minutes=5)
    silent = running(user, heartbeat_at=long_ago)
    assert Task.objects.interrupt_stale(silent.pk, error="gone") is True
    row = fresh(silent)
    assert (row.status, row.end_reason, row.error) == (
        Status.FAILED,
        EndReason.INTERRUPTED,
        "gone",
    )
    assert row.duration is not None
    assert Task.objects.interrupt_stale(silent.pk, error="again") is False
    assert fresh(silent).error == "gone"
    alive = running(user, heartbeat_at=timezone.now())
    assert Task.objects.interrupt_stale(alive.pk, error="gone") is False
    assert fresh(alive).status == Status.RUNNING


def test_explain_interruption_only_rewrites_an_interrupted_run(user):
    interrupted = make_task(user, status=Status.FAILED, end_reason=EndReason.INTERRUPTED)
    assert Task.objects.explain_interruption(interrupted.pk, "killed its orphan") is True
    assert fresh(interrupted).error == "killed its orphan"
    failed = make_task(user, status=Status.FAILED, end_reason=EndReason.EXIT, error="exit 1")
    assert Task.objects.explain_interruption(failed.pk, "killed its orphan") is False
    assert fresh(failed).error == "exit 1"


# mark_enqueued, unmark_enqueued


def test_mark_enqueued_wins_once_per_previous_value_and_only_while_pending(user):
    task = make_task(user, status=Status.PENDING)
    first = timezone.now()
    assert Task.objects.mark_enqueued(task.pk, now=first, previous=None) is True
    assert Task.objects.mark_enqueued(task.pk, previous=None) is False  # sent already
    later = first + timedelta(seconds=1)
    assert Task.objects.mark_enqueued(task.pk, now=later, previous=first) is True
    assert Task.objects.mark_enqueued(task.pk, previous=first) is False
    assert fresh(task).enqueued_at == later
    assert Task.objects.mark_enqueued(task.pk) is True  # any previous value
    done = make_task(user, status=Status.SUCCESS)
    assert Task.objects.mark_enqueued(done.pk) is False
    assert fresh(done).enqueued_at is None


def test_unmark_enqueued_puts_back_only_its_own_mark(user):
    task = make_task(user, status=Status.PENDING)
    sent = timezone.now()
    Task.objects.mark_enqueued(task.pk, now=sent, previous=None)
    assert Task.objects.unmark_enqueued(task.pk, sent_at=sent, previous=None) is True
    assert fresh(task).enqueued_at is None
    assert Task.objects.unmark_enqueued(task.pk, sent_at=sent, previous=None) is False


# RetentionPass.add_progress


def test_a_retention_pass_counts_until_it_is_finished(user):
    today = timezone.localdate()
    current = RetentionPass.objects.create(day=today, cutoff=timezone.now(), worker="host:1")
    assert current.add_progress(runs=2, log_bytes=10, complete=False) is True
    assert current.add_progress(runs=1, log_bytes=5, complete=True) is True
    done = RetentionPass.objects.get()
    assert (done.runs, done.log_bytes, done.finished_at is not None) == (3, 15, True)
    assert current.add_progress(runs=9, log_bytes=9, complete=True) is False
    assert RetentionPass.objects.get().runs == 3


# Real races.


def _in_threads(count, target):
    """Run `target(index)` in `count` threads released together; their results."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait()
            results[index] = target(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_threads_claiming_one_row_exactly_one_wins(user):
    for _ in range(5):
        task = make_task(user, status=Status.PENDING)
        results = _in_threads(2, lambda index, pk=task.pk: Task.claim(pk, f"host:{index}"))
        winners = [result for result in results if result is not None]
        assert len(winners) == 1
        assert fresh(task).worker == winners[0].worker


CLAIM_IN_A_PROCESS = """
import os, sys, time
import django
django.setup()
from tasks.models import Task
go = sys.argv[2]
while not os.path.exists(go):
    time.sleep(0.001)
print("won" if Task.claim(sys.argv[1], f"process:{os.getpid()}") else "lost", flush=True)
"""


@pytest.mark.django_db(transaction=True)
def test_two_processes_claiming_one_row_exactly_one_wins(user, settings, tmp_path):
    task = make_task(user, status=Status.PENDING)
    go = tmp_path / "go"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "executor_site.settings",
        "DJANGO_SECRET_KEY": "test",
        "DJANGO_ENV_FILE": "/nonexistent",
        "DATABASE_URL": database_url(),
        "EXECUTOR_SCRIPTS": settings.EXECUTOR_SCRIPTS,
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIM_IN_A_PROCESS, str(task.pk), str(go)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(1.5)  # both set up and waiting for the start signal
    go.write_text("go")
    outcomes = sorted(process.communicate(timeout=60)[0].strip() for process in processes)
    assert outcomes == ["lost", "won"]
    assert fresh(task).status == Status.RUNNING
    assert fresh(task).worker.startswith("process:")


@pytest.mark.django_db(transaction=True)
def test_a_cancel_racing_the_final_write_never_overwrites_the_finished_status(user):
    for _ in range(10):
        task = running(user)
        supervisor_copy, canceller_copy = fresh(task), fresh(task)

        def act(index, supervisor_copy=supervisor_copy, canceller_copy=canceller_copy):
            if index == 0:
                return supervisor_copy.finish(
                    status=Status.SUCCESS,
                    end_reason=EndReason.EXIT,
                    from_statuses=(Status.RUNNING,),
                    return_code=0,
                )
            return canceller_copy.request_cancel()

        finished, _ = _in_threads(2, act)
        assert finished is True  # a cancel of a running run only flags it
        row = fresh(task)
        assert (row.status, row.end_reason, row.return_code) == (
            Status.SUCCESS,
            EndReason.EXIT,
            0,
        )
        # And after the end, a cancel changes nothing.
        assert fresh(task).request_cancel() is False
        assert fresh(task).status == Status.SUCCESS
