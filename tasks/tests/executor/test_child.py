"""The child process (child.py): its own session and process group, signals, reaping."""

import json
import os
import select
import signal
import time
from pathlib import Path

import pytest

from tasks import services
from tasks.executor import child
from tasks.history import logs
from tasks.models import EndReason, Status, Task
from tasks.tests.helpers import pid_alive, read_pids, wait_finished, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def run(user, script, params=None, args=None):
    task = services.execute(user, script, params or {}, args or [])
    return wait_finished(task.pk)


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


def test_shell_metacharacters_reach_the_script_literally(inline, user):
    hostile = ["$(touch /tmp/pwned)", "; rm -rf /", "`id`", "a && b", "|", "*", "'\"", "\n"]
    task = run(user, "echo", {}, hostile)
    assert json.loads(logs.read(task.pk).text)["argv"][-len(hostile) :] == hostile


# child.py on its own: no database, no supervisor.


def _spawn(code):
    import sys

    return child.spawn([sys.executable, "-c", code], cwd=Path.cwd(), env=dict(os.environ))


def test_the_child_leads_a_session_and_process_group_of_its_own():
    proc = _spawn("import time; time.sleep(30)")
    try:
        assert os.getsid(proc.pid) == proc.pid
        assert os.getpgid(proc.pid) == proc.pid != os.getpgid(0)
    finally:
        child.kill_group(proc, signal.SIGKILL)
        child.reap(proc)


def test_killing_the_group_reaches_grandchildren_and_reap_reports_the_signal(tmp_path):
    pids = tmp_path / "pids"
    proc = _spawn(
        "import os, subprocess, sys, time;"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']);"
        f"open({str(pids)!r}, 'w').write(str(p.pid)); time.sleep(30)"
    )
    wait_for(lambda: pids.exists() and pids.read_text(), message="the grandchild's pid")
    grandchild = int(pids.read_text())
    child.kill_group(proc, signal.SIGKILL)
    rusage = child.reap(proc)
    assert proc.returncode == -signal.SIGKILL
    assert rusage.ru_utime >= 0
    assert child.reap(proc) is None  # reaped once only
    wait_for(lambda: not pid_alive(grandchild), timeout=5, message="the grandchild to die")
    child.kill_group(proc, signal.SIGKILL)  # a gone group is no error
    child.kill_group(None, signal.SIGKILL)


def test_an_exit_is_seen_without_reaping_so_the_pid_stays_ours():
    proc = _spawn("import sys; sys.stdout.write('bye'); sys.exit(3)")
    pidfd = child.open_pidfd(proc.pid)
    wait_for(lambda: child.has_exited(proc.pid), message="the exit")
    assert proc.returncode is None
    os.kill(proc.pid, 0)  # a zombie, not reaped: the pid cannot be reused yet
    if pidfd is not None:
        assert select.select([pidfd], [], [], 5)[0] == [pidfd]
        os.close(pidfd)
    fd = proc.stdout.fileno()
    child.prepare_pipe(fd)
    assert child.read(fd) == b"bye"
    assert child.read(fd) == b""  # the pipe's end
    child.reap(proc)
    assert proc.returncode == 3


def test_read_and_drain_of_an_empty_non_blocking_pipe_do_not_block():
    r, w = os.pipe()
    try:
        os.set_blocking(r, False)
        assert child.read(r) is None
        os.write(w, b"x" * 10_000)
        child.drain(r)
        assert child.read(r) is None
    finally:
        os.close(r)
        os.close(w)
