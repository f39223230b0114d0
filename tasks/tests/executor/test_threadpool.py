"""The thread pool: bounded, oldest first, per-script limits, shutdown."""

import pytest
from django.utils import timezone

from tasks import services
from tasks.executor.backends import get_backend
from tasks.models import EndReason, Status, Task
from tasks.tests.helpers import wait_finished, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def statuses(tasks):
    return [Task.objects.get(pk=task.pk).status for task in tasks]


def cancel_all(user, tasks):
    for task in tasks:
        task.refresh_from_db()
        if not task.is_finished:
            services.cancel(user, task)
    for task in tasks:
        wait_finished(task.pk)


def test_runs_beyond_the_pool_size_wait_as_pending(engine, settings, user):
    settings.EXECUTOR_MAX_WORKERS = 2
    get_backend().start()
    tasks = [services.execute(user, "sleeper", {}, []) for _ in range(4)]
    wait_for(lambda: statuses(tasks).count(Status.RUNNING) == 2, message="two running")
    assert statuses(tasks) == [Status.RUNNING, Status.RUNNING, Status.PENDING, Status.PENDING]
    services.cancel(user, tasks[0])
    # The oldest waiting run takes the freed slot.
    wait_for(lambda: statuses(tasks)[2] == Status.RUNNING, message="the third to start")
    assert statuses(tasks)[3] == Status.PENDING
    cancel_all(user, tasks)


def test_a_scripts_concurrency_limit_is_honoured(engine, user):
    first = services.execute(user, "limited", {}, [])
    second = services.execute(user, "limited", {}, [])
    other = services.execute(user, "lines", {"count": 1}, [])
    wait_for(lambda: Task.objects.get(pk=first.pk).status == Status.RUNNING)
    assert wait_finished(other.pk).status == Status.SUCCESS
    assert Task.objects.get(pk=second.pk).status == Status.PENDING
    services.cancel(user, Task.objects.get(pk=first.pk))
    wait_for(lambda: Task.objects.get(pk=second.pk).status == Status.RUNNING, message="second")
    cancel_all(user, [first, second])


def test_pending_runs_written_by_another_process_are_picked_up(engine, user):
    # As if another web process had written the row and then died before submitting.
    task = Task.objects.create(
        script="lines",
        script_path="lines.py",
        interpreter="python",
        script_args=["--count=2"],
        timeout=30,
        user=user,
        user_name=user.username,
    )
    assert wait_finished(task.pk, timeout=15).status == Status.SUCCESS


def test_a_pending_run_cancelled_before_it_starts_never_runs(recorded, user, db):
    task = services.execute(user, "lines", {}, [])
    services.cancel(user, task)
    task.refresh_from_db()
    assert (task.status, task.end_reason, task.started_at) == (
        Status.CANCELLED,
        EndReason.CANCELLED,
        None,
    )


def test_shutdown_interrupts_runs_and_records_them(engine, user, pidfile):
    task = services.execute(user, "sleeper", {"pidfile": str(pidfile)}, [])
    wait_for(pidfile.exists, message="the script to start")
    engine.shutdown()
    task.refresh_from_db()
    assert task.status == Status.FAILED
    assert task.end_reason == EndReason.INTERRUPTED
    assert "shut down" in task.error


@pytest.mark.parametrize("limits", ["some scripts have limits", "no script has one"])
def test_a_claim_happens_once_however_many_try(db, user, recorded, settings, tmp_path, limits):
    from tasks.executor.scheduling import claim

    if limits == "no script has one":
        # The claim is then one statement without a transaction around it.
        (tmp_path / "lines.py").write_text("print('a line')\n")
        (tmp_path / "catalog.toml").write_text('[scripts.lines]\npath = "lines.py"\n')
        settings.EXECUTOR_SCRIPTS = str(tmp_path / "catalog.toml")
    task = services.execute(user, "lines", {}, [])
    first, _ = claim(task.pk, "one")
    second, why = claim(task.pk, "two")
    assert first.pk == task.pk
    assert (first.status, first.script) == (Status.RUNNING, "lines")
    assert (second, why) == (None, "taken")
    assert Task.objects.get(pk=task.pk).worker == "one"


def test_a_claim_over_the_scripts_limit_is_undone(db, user, recorded):
    from tasks.executor.scheduling import claim, claim_next

    running = services.execute(user, "limited", {}, [])
    Task.objects.filter(pk=running.pk).update(status=Status.RUNNING, started_at=timezone.now())
    waiting = services.execute(user, "limited", {}, [])
    assert claim(waiting.pk, "w") == (None, "full")
    assert Task.objects.get(pk=waiting.pk).status == Status.PENDING
    assert claim_next("w") is None
