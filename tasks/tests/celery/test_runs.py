"""Runs through two real Celery workers: the web side only enqueues, the workers run the
supervisor and write everything to the shared database, where the API reads it."""

import base64
import contextlib
import hashlib
import http.client
import json
import os
import signal
import socket
import time
from collections import defaultdict

import pytest

from tasks import services
from tasks.executor.celery import send
from tasks.models import EndReason, LogChunk, Status, Task
from tasks.tests.celery import ONE_BROKER, skip_unless_postgres
from tasks.tests.helpers import pid_alive, read_pids, wait_finished, wait_for

skip_unless_postgres()

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), ONE_BROKER]


def follow_logs(api, task_id, timeout=30.0):
    """Read the log by offset, as a live viewer does, until the run is complete."""
    text, offset = "", 0
    deadline = time.monotonic() + timeout
    while True:
        body = api.get(f"/api/tasks/{task_id}/logs?offset={offset}").json()
        assert body["offset"] == offset
        text += body["logs"]
        offset = body["next_offset"]
        if body["complete"]:
            return text
        assert time.monotonic() < deadline, f"the log of {task_id} never completed"
        time.sleep(0.05)


def test_a_run_goes_from_execute_through_live_logs_to_success(api, cluster, celery_backend):
    response = api.post(
        "/api/execute",
        {"script_type": "lines", "params": {"count": 3, "delay": 0.6}},
        format="json",
    )
    assert response.status_code == 201
    task_id = response.json()["task"]["id"]

    # Live: the first line is readable while the script still runs on a worker.
    def first_line():
        body = api.get(f"/api/tasks/{task_id}/logs?offset=0").json()
        return body if "line 1" in body["logs"] else None

    body = wait_for(first_line, timeout=30, message="the first line")
    assert body["complete"] is False
    assert body["status"] == Status.RUNNING

    assert follow_logs(api, task_id) == "[1/3] line 1\n[2/3] line 2\n[3/3] line 3\n"
    task = api.get(f"/api/tasks/{task_id}").json()["task"]
    assert (task["status"], task["progress"], task["return_code"]) == ("success", 100, 0)
    assert Task.objects.get(pk=task_id).worker in {cluster["one"].label, cluster["two"].label}


def test_cancel_reaches_the_worker_that_runs_the_task(api, cluster, celery_backend, pidfile):
    response = api.post(
        "/api/execute", {"script_type": "sleeper", "params": {"pidfile": str(pidfile)}}, "json"
    )
    task_id = response.json()["task"]["id"]
    wait_for(pidfile.exists, timeout=30, message="the pid file")
    child, grandchild = read_pids(pidfile)

    response = api.post(f"/api/tasks/{task_id}/cancel")

    assert response.status_code == 200
    task = wait_finished(task_id, timeout=20)
    assert (task.status, task.end_reason, task.killed) == (
        Status.CANCELLED,
        EndReason.CANCELLED,
        False,
    )
    assert task.worker in {cluster["one"].label, cluster["two"].label}
    wait_for(lambda: not pid_alive(grandchild), timeout=5, message="the grandchild to die")
    assert not pid_alive(child)


def test_a_script_with_a_queue_runs_only_on_workers_that_consume_it(user, cluster, celery_backend):
    tasks = [services.execute(user, "on_gpu", {}, [str(number)]) for number in range(6)]

    finished = [wait_finished(task.pk) for task in tasks]

    assert {task.queue for task in finished} == {"gpu"}
    assert {task.status for task in finished} == {Status.SUCCESS}
    assert {task.worker for task in finished} == {cluster["one"].label}


def test_two_hundred_tasks_spread_over_two_workers_none_lost_none_run_twice(
    user, cluster, celery_backend, tmp_path
):
    tally = tmp_path / "tally"
    submitted = {
        str(services.execute(user, "tally", {"file": str(tally)}, []).pk) for _ in range(200)
    }
    # Every id a second time, as a redelivery or a resend would: the two workers race
    # for the same runs, and each must still start once.
    for task_id in submitted:
        assert send(celery_backend.app, task_id, "default")

    wait_for(
        lambda: Task.objects.finished().count() == 200,
        timeout=240,
        interval=0.25,
        message="200 runs to finish",
    )

    runs = list(Task.objects.all())
    assert {run.status for run in runs} == {Status.SUCCESS}
    counted = tally.read_text().split()
    assert len(counted) == 200  # every run started exactly once ...
    assert set(counted) == submitted  # ... and each of them did
    assert {run.worker for run in runs} == {cluster["one"].label, cluster["two"].label}
    output = defaultdict(bytes)
    for task_id, data in LogChunk.objects.order_by("offset").values_list("task_id", "data"):
        output[str(task_id)] += bytes(data)
    assert output == dict.fromkeys(submitted, b"counted\n")


def test_a_limited_script_waits_for_its_slot_and_then_runs(user, cluster, celery_backend, tmp_path):
    pidfiles = [tmp_path / "first", tmp_path / "second"]
    try:
        first = services.execute(user, "limited", {"pidfile": str(pidfiles[0])}, [])
        wait_for(pidfiles[0].exists, timeout=30, message="the first run")
        second = services.execute(user, "limited", {"pidfile": str(pidfiles[1])}, [])
        # Delivered to a worker, refused for the script's limit, sent back to wait.
        wait_for(
            lambda: "Retry in" in cluster["one"].log() + cluster["two"].log(),
            timeout=30,
            message="a worker to retry it later",
        )
        assert Task.objects.get(pk=second.pk).status == Status.PENDING

        services.cancel(user, Task.objects.get(pk=first.pk))

        wait_for(pidfiles[1].exists, timeout=30, message="the second run to start")
        assert wait_finished(first.pk).status == Status.CANCELLED
        services.cancel(user, Task.objects.get(pk=second.pk))
        assert wait_finished(second.pk).status == Status.CANCELLED
    finally:
        for path in pidfiles:
            if path.exists():
                for pid in read_pids(path):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)


def test_flower_shows_the_workers_their_queues_and_the_runs(user, cluster, celery_backend):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    flower = cluster["workers"].start_flower(port, "ops:flower-password")
    auth = "Basic " + base64.b64encode(b"ops:flower-password").decode()

    def get(path):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", path, headers={"Authorization": auth})
            return json.loads(connection.getresponse().read())
        except (OSError, ValueError):
            assert flower.process.poll() is None, flower.log()[-2000:]
            return None
        finally:
            connection.close()

    def both_workers():
        found = get("/api/workers?refresh=1") or {}
        return found if len(found) == 2 else None

    def both_workers_heard():
        # Worker events (heartbeats) reach Flower: its event stream is live.
        heard = (get("/workers?json=1") or {}).get("data", [])
        return {info["hostname"].split("@")[0] for info in heard if info["status"]} == {
            "one",
            "two",
        }

    workers = wait_for(both_workers, timeout=60, interval=0.5, message="Flower to see the workers")
    wait_for(both_workers_heard, timeout=30, interval=0.5, message="Flower to hear the workers")
    queues = {
        name.split("@")[0]: {q["name"] for q in info["active_queues"]}
        for name, info in workers.items()
    }
    assert queues == {"one": {"default", "gpu"}, "two": {"default"}}

    task = wait_finished(services.execute(user, "echo", {}, []).pk)

    def seen_succeed():
        # Flower hears "started" and "succeeded" as separate events, the second possibly
        # after the row already says the run ended.
        runs = (get("/api/tasks") or {}).values()
        mine = [run for run in runs if run["args"] == repr([str(task.pk)])]
        return mine if mine and mine[0]["state"] == "SUCCESS" else None

    [run] = wait_for(seen_succeed, timeout=30, interval=0.5, message="Flower to see it succeed")
    assert run["name"] == "executor.run"


def test_secret_parameters_reach_the_script_on_a_worker_and_nowhere_else(
    user, cluster, celery_backend
):
    token, password = "hunter2-TOKEN-value", "pa55-w0rd-in-env"
    task = services.execute(user, "secret_echo", {"token": token, "password": password})

    done = wait_finished(task.pk)

    log = b"".join(bytes(chunk.data) for chunk in LogChunk.objects.filter(task=done))
    received = hashlib.sha256(f"{token}|{password}".encode()).hexdigest()
    assert f"received {received}".encode() in log  # the worker opened the seal
    assert b"token is ****" in log
    assert token.encode() not in log
    assert password.encode() not in log
    assert done.sealed_secrets == ""  # wiped once the run started
