"""One run from spawn to its final row, with real child processes."""

import json
import time

import pytest

from tasks import services
from tasks.history import logs
from tasks.models import EndReason, LogChunk, Status, Stream, Task
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


def test_a_failing_script_records_its_exception_line(inline, user):
    task = run(user, "fail")
    assert task.status == Status.FAILED
    assert task.end_reason == EndReason.EXIT
    assert task.return_code == 1
    assert task.exception == "RuntimeError: report failed"
    assert "ValueError: the numbers do not add up" in task.stderr_tail


def test_a_nonzero_exit_is_failed_with_its_code(inline, user):
    task = run(user, "exit_code", {"code": 7})
    assert (task.status, task.return_code, task.exception) == (Status.FAILED, 7, "")


def test_progress_follows_step_markers_and_ends_at_100(inline, user):
    task = run(user, "lines", {"count": 4})
    assert task.progress == 100
    assert task.progress_message == "line 4"


def test_a_script_without_markers_has_unknown_progress_until_it_succeeds(engine, user):
    task = services.execute(user, "partial", {}, [])
    wait_for(lambda: Task.objects.get(pk=task.pk).status == Status.RUNNING)
    assert Task.objects.get(pk=task.pk).progress is None
    assert wait_finished(task.pk).progress == 100


def test_flooding_both_pipes_at_once_neither_deadlocks_nor_loses_a_byte(inline, user):
    task = run(user, "flood", {"stdout_mb": 3, "stderr_mb": 3})
    assert task.status == Status.SUCCESS
    assert task.log_bytes == 6 * 1024 * 1024
    out = b"".join(bytes(c.data) for c in LogChunk.objects.filter(task=task, stream=Stream.STDOUT))
    err = b"".join(bytes(c.data) for c in LogChunk.objects.filter(task=task, stream=Stream.STDERR))
    assert out == (b"o" * 63 + b"\n") * (3 * 1024 * 1024 // 64)
    assert err == (b"e" * 63 + b"\n") * (3 * 1024 * 1024 // 64)


def test_chunks_hold_whole_lines_so_streams_interleave_cleanly(inline, user):
    task = run(user, "flood", {"stdout_mb": 0.5, "stderr_mb": 0.5})
    for chunk in LogChunk.objects.filter(task=task):
        assert bytes(chunk.data).endswith(b"\n")
        assert set(bytes(chunk.data)) <= set(b"o\n") or set(bytes(chunk.data)) <= set(b"e\n")


def test_output_streams_live_without_pythonunbuffered_in_the_servers_environment(
    engine, user, monkeypatch
):
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    task = services.execute(user, "lines", {"count": 3, "delay": 1.5}, [])
    # The first line is stored while the script still sleeps before its second.
    wait_for(lambda: "line 1" in logs.read(task.pk).text, timeout=5, message="the first line")
    current = Task.objects.get(pk=task.pk)
    assert current.status == Status.RUNNING
    assert "line 2" not in logs.read(task.pk).text
    assert current.progress == 33
    wait_finished(task.pk)


def test_a_partial_line_is_shown_before_its_newline_arrives(engine, user):
    task = services.execute(user, "partial", {}, [])
    wait_for(lambda: "working..." in logs.read(task.pk).text, timeout=5, message="partial line")
    assert Task.objects.get(pk=task.pk).status == Status.RUNNING
    done = wait_finished(task.pk)
    assert logs.read(done.pk).text == "working... done\n"


def test_cancel_kills_the_whole_process_group(engine, user, pidfile):
    task = services.execute(user, "sleeper", {"pidfile": str(pidfile)}, [])
    wait_for(pidfile.exists, message="the pid file")
    child, grandchild = read_pids(pidfile)
    services.cancel(user, Task.objects.get(pk=task.pk))
    done = wait_finished(task.pk, timeout=10)
    assert done.status == Status.CANCELLED
    assert done.end_reason == EndReason.CANCELLED
    assert done.killed is False
    wait_for(lambda: not pid_alive(grandchild), timeout=5, message="the grandchild to die")
    assert not pid_alive(child)


def test_a_child_that_ignores_sigterm_gets_sigkill_after_the_grace_period(engine, user, pidfile):
    task = services.execute(user, "sleeper", {"pidfile": str(pidfile), "ignore_term": True}, [])
    wait_for(pidfile.exists, message="the pid file")
    child, grandchild = read_pids(pidfile)
    started = time.monotonic()
    services.cancel(user, Task.objects.get(pk=task.pk))
    done = wait_finished(task.pk, timeout=10)
    assert time.monotonic() - started >= 0.9  # EXECUTOR_KILL_GRACE is 1 s in tests
    assert done.status == Status.CANCELLED
    assert done.killed is True
    assert done.return_code == -9
    assert not pid_alive(child)
    wait_for(lambda: not pid_alive(grandchild), timeout=5, message="the grandchild to die")


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
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["EXECUTOR_TASK_ID"] == str(task.pk)
    assert "PATH" in env


def test_env_parameters_reach_the_script_as_variables(inline, user):
    task = run(user, "echo", {"mood": "sunny"})
    assert json.loads(logs.read(task.pk).text)["mood"] == "sunny"


def test_shell_metacharacters_reach_the_script_literally(inline, user):
    hostile = ["$(touch /tmp/pwned)", "; rm -rf /", "`id`", "a && b", "|", "*", "'\"", "\n"]
    task = run(user, "echo", {}, hostile)
    assert json.loads(logs.read(task.pk).text)["argv"][-len(hostile) :] == hostile


def test_the_log_cap_keeps_the_beginning_and_the_end_and_counts_the_rest(inline, user, settings):
    settings.EXECUTOR_MAX_LOG_BYTES = 64 * 1024
    task = run(user, "flood", {"stdout_mb": 1, "stderr_mb": 0})
    assert task.status == Status.SUCCESS
    total = 1024 * 1024
    stored = sum(len(c.data) for c in LogChunk.objects.filter(task=task))
    assert stored <= 64 * 1024
    assert task.log_bytes == total
    assert task.log_dropped_bytes == total - stored
    text = logs.read(task.pk).text
    assert text.startswith("o" * 63 + "\n")
    assert f"{total - stored:,} bytes of output dropped here" in text
    assert text.endswith("o" * 63 + "\n")


def test_viewers_still_see_the_live_tail_of_a_capped_run(engine, user, settings):
    settings.EXECUTOR_MAX_LOG_BYTES = 8 * 1024
    task = services.execute(user, "lines", {"count": 600, "delay": 0.005}, [])
    # A line from after the cap filled up is readable while the script still runs.
    wait_for(lambda: "line 400" in logs.read(task.pk).text, timeout=20, message="a late line")
    done = wait_finished(task.pk)
    assert done.log_dropped_bytes > 0
    assert logs.read(task.pk).text.endswith("[600/600] line 600\n")


def test_a_silent_script_keeps_its_heartbeat_fresh(engine, user, settings, pidfile):
    task = services.execute(user, "sleeper", {"pidfile": str(pidfile)}, [])
    wait_for(pidfile.exists, message="the script to start")
    first = Task.objects.get(pk=task.pk).heartbeat_at
    # EXECUTOR_HEARTBEAT_INTERVAL is 0.5 s in tests.
    wait_for(lambda: Task.objects.get(pk=task.pk).heartbeat_at > first, timeout=5, message="a beat")
    services.cancel(user, Task.objects.get(pk=task.pk))
    wait_finished(task.pk)
