"""Workers that die or stop: no run is left running for ever, none is lost, none runs twice."""

import signal

import pytest

from tasks import services
from tasks.models import EndReason, Status, Task
from tasks.tests.celery import skip_unless_postgres
from tasks.tests.helpers import pid_alive, read_pids, wait_finished, wait_for

skip_unless_postgres()

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_mid_run_leaves_its_run_interrupted_and_loses_no_waiting_task(
    user, workers, celery_backend, pidfile, tmp_path
):
    doomed = workers.start(name="doomed", concurrency=1)
    doomed.wait_ready()
    running = services.execute(user, "sleeper", {"pidfile": str(pidfile)}, [])
    wait_for(pidfile.exists, timeout=30, message="the run to start")
    started = read_pids(pidfile)
    # The worker's only slot is busy, so these wait on the broker, not in the worker.
    tally = tmp_path / "tally"
    waiting = [services.execute(user, "tally", {"file": str(tally)}, []) for _ in range(3)]
    assert Task.objects.get(pk=running.pk).worker == doomed.label

    doomed.kill(signal.SIGKILL)
    doomed.process.wait(10)
    survivor = workers.start(name="survivor", concurrency=2)

    ended = wait_finished(running.pk, timeout=60)
    assert (ended.status, ended.end_reason) == (Status.FAILED, EndReason.INTERRUPTED)
    assert f"its worker {doomed.label} stopped sending heartbeats" in ended.error
    for task in waiting:
        assert wait_finished(task.pk, timeout=60).status == Status.SUCCESS
    assert sorted(tally.read_text().split()) == sorted(str(task.pk) for task in waiting)
    assert {Task.objects.get(pk=task.pk).worker for task in waiting} == {survivor.label}
    # The killed run's message, redelivered, found its task taken: it did not start again.
    assert Task.objects.get(pk=running.pk).worker == doomed.label
    assert read_pids(pidfile) == started


def test_a_cold_shutdown_stops_the_runs_and_records_them_as_interrupted(
    user, workers, celery_backend, pidfile
):
    worker = workers.start(name="cold")
    worker.wait_ready()
    task = services.execute(user, "sleeper", {"pidfile": str(pidfile)}, [])
    wait_for(pidfile.exists, timeout=30, message="the run to start")
    child, grandchild = read_pids(pidfile)

    worker.kill(signal.SIGQUIT)

    ended = wait_finished(task.pk, timeout=20)
    assert (ended.status, ended.end_reason) == (Status.FAILED, EndReason.INTERRUPTED)
    assert ended.error == "the server was stopped: it shut down during the run"
    wait_for(lambda: not pid_alive(grandchild), timeout=5, message="the grandchild to die")
    assert not pid_alive(child)
    worker.process.wait(20)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_warm_shutdown_stops_the_runs_and_leaves_pending_ones_pending(
    sig, user, workers, celery_backend, pidfile
):
    worker = workers.start(name="warm", concurrency=1)
    worker.wait_ready()
    task = services.execute(user, "sleeper", {"pidfile": str(pidfile), "ignore_term": True}, [])
    wait_for(pidfile.exists, timeout=30, message="the run to start")
    child, grandchild = read_pids(pidfile)
    waiting = services.execute(user, "echo", {}, [])

    worker.kill(sig)

    ended = wait_finished(task.pk, timeout=20)
    assert (ended.status, ended.end_reason) == (Status.FAILED, EndReason.INTERRUPTED)
    assert ended.error == "the server was stopped: it shut down during the run"
    assert ended.killed is True  # it ignored SIGTERM: SIGKILL after the grace period
    worker.process.wait(1 + 5)  # within grace + 5 s
    assert not pid_alive(child)
    wait_for(lambda: not pid_alive(grandchild), timeout=5, message="the grandchild to die")
    assert Task.objects.get(pk=waiting.pk).status == Status.PENDING


def test_a_run_submitted_while_the_broker_was_down_is_sent_when_it_is_back(
    user, workers, settings, broker, transactional_db, tmp_path, api
):
    settings.EXECUTOR_BACKEND = "celery"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # nothing listens on port 9
    tally = tmp_path / "tally"

    response = api.post(
        "/api/execute", {"script_type": "tally", "params": {"file": str(tally)}}, "json"
    )

    assert response.status_code == 201
    task = Task.objects.get(pk=response.json()["task"]["id"])
    assert (task.status, task.enqueued_at) == (Status.PENDING, None)
    workers.start(name="late").wait_ready()  # its housekeeping sends the id
    assert wait_finished(task.pk, timeout=60).status == Status.SUCCESS
    assert tally.read_text().split() == [str(task.pk)]
