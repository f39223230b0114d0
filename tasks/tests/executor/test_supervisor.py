"""One run from spawn to its final row, with real child processes (supervisor.py)."""

import json

import pytest

from tasks import services
from tasks.history import logs
from tasks.models import EndReason, Status, Task
from tasks.tests.helpers import pid_alive, read_pids, wait_finished, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def run(user, script, params=None, args=None):
    task = services.execute(user, script, params or {}, args or [])
    return wait_finished(task.pk)


def test_a_run_records_its_output_exit_code_and_resource_use(inline, user):
    task = run(user, "echo", {"greeting": "hi there"}, ["x", "y"])
    assert task.status == Status.SUCCESS
    assert task.end_reason == EndReason.EXIT
    assert task.return_code == 0
    assert json.loads(logs.read(task.pk).text)["argv"] == ["--greeting=hi there", "x", "y"]
    assert task.started_at <= task.completed_at
    assert task.peak_memory_kb > 1000
    assert task.cpu_seconds is not None
    assert task.pid is not None
    assert task.argv[-3:] == ["--greeting=hi there", "x", "y"]
    assert len(task.script_sha256) == 64
    assert task.interpreter_version.startswith("Python 3.")


def test_a_nonzero_exit_is_failed_with_its_code(inline, user):
    task = run(user, "exit_code", {"code": 7})
    assert (task.status, task.return_code, task.exception) == (Status.FAILED, 7, "")


def test_a_timeout_stops_the_run_and_says_so(engine, user, pidfile):
    task = services.execute(user, "short_timeout", {"pidfile": str(pidfile)}, [])
    done = wait_finished(task.pk, timeout=10)
    assert done.status == Status.FAILED
    assert done.end_reason == EndReason.TIMEOUT
    assert "timeout of 1 s" in done.error
    _, grandchild = read_pids(pidfile)
    wait_for(lambda: not pid_alive(grandchild), timeout=5, message="the grandchild to die")


def test_a_missing_script_file_is_recorded_as_could_not_start(inline, user, settings, tmp_path):
    script = tmp_path / "gone.py"
    script.write_text("print('hi')\n")
    catalog = tmp_path / "catalog.toml"
    catalog.write_text('[scripts.gone]\npath = "gone.py"\n')
    settings.EXECUTOR_SCRIPTS = str(catalog)
    settings.EXECUTOR_BACKEND = "record"
    task = services.execute(user, "gone", {}, [])
    script.unlink()
    settings.EXECUTOR_BACKEND = "inline"
    from tasks.executor.backends import get_backend

    get_backend().submit(task.pk)
    task.refresh_from_db()
    assert task.status == Status.FAILED
    assert task.end_reason == EndReason.SPAWN_ERROR
    assert "does not exist" in task.error


def test_the_child_environment_is_an_allow_list(inline, user, monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "server-secret")
    monkeypatch.setenv("DATABASE_URL", "postgres://secret@db/prod")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "cloud-secret")
    task = run(user, "env_dump")
    env = json.loads(logs.read(task.pk).text)
    assert "DJANGO_SECRET_KEY" not in env
    assert "DATABASE_URL" not in env
    assert "AWS_SECRET_ACCESS_KEY" not in env
    # Live output comes from timed flushes (executor/child_site), not from unbuffering.
    assert "PYTHONUNBUFFERED" not in env
    assert env["PYTHONPATH"].split(":")[0].endswith("tasks/executor/child_site")
    assert env["EXECUTOR_TASK_ID"] == str(task.pk)
    assert "PATH" in env


def test_env_parameters_reach_the_script_as_variables(inline, user):
    task = run(user, "echo", {"mood": "sunny"})
    assert json.loads(logs.read(task.pk).text)["mood"] == "sunny"


def test_a_silent_script_keeps_its_heartbeat_fresh(engine, user, settings, pidfile):
    task = services.execute(user, "sleeper", {"pidfile": str(pidfile)}, [])
    wait_for(pidfile.exists, message="the script to start")
    first = Task.objects.get(pk=task.pk).heartbeat_at
    # EXECUTOR_HEARTBEAT_INTERVAL is 0.5 s in tests.
    wait_for(lambda: Task.objects.get(pk=task.pk).heartbeat_at > first, timeout=5, message="a beat")
    services.cancel(user, Task.objects.get(pk=task.pk))
    wait_finished(task.pk)


def test_with_debug_on_the_engine_keeps_no_log_of_its_queries(inline, settings, user):
    # Django's debug query log keeps the SQL of every query, chunks of output included:
    # a server with DJANGO_DEBUG=1 grew by about 110 MB per million-line run.
    from django.db import connection

    settings.DEBUG = True
    connection.queries_log.clear()
    task = run(user, "flood", {"stdout_mb": 4, "stderr_mb": 1})
    assert task.log_bytes > 4 * 1024 * 1024
    logged = sum(len(query["sql"]) for query in connection.queries)
    assert logged < 64 * 1024, f"{len(connection.queries)} queries, {logged} bytes of SQL kept"
