"""Runs whose worker died end as interrupted; nothing stays running for ever."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks.executor.recovery import recover_stale
from tasks.models import EndReason, Status, Task

pytestmark = pytest.mark.django_db


def running_task(user, heartbeat_age):
    now = timezone.now()
    return Task.objects.create(
        script="sleeper",
        script_path="sleeper.py",
        interpreter="python",
        timeout=60,
        user=user,
        user_name=user.username,
        status=Status.RUNNING,
        started_at=now - timedelta(minutes=5),
        heartbeat_at=now - timedelta(seconds=heartbeat_age),
        worker="web-1:4242",
    )


def test_a_running_task_with_a_stale_heartbeat_is_ended_as_interrupted(user, settings):
    settings.EXECUTOR_STALE_AFTER = 30
    stale = running_task(user, heartbeat_age=31)
    fresh = running_task(user, heartbeat_age=5)
    assert recover_stale() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, stale.end_reason) == (Status.FAILED, EndReason.INTERRUPTED)
    assert "web-1:4242 stopped sending heartbeats" in stale.error
    assert stale.completed_at is not None
    assert stale.duration >= timedelta(minutes=5)
    assert fresh.status == Status.RUNNING


def test_recovery_leaves_finished_tasks_alone(user):
    task = running_task(user, heartbeat_age=3600)
    Task.objects.filter(pk=task.pk).update(status=Status.SUCCESS)
    assert recover_stale() == 0
    task.refresh_from_db()
    assert task.status == Status.SUCCESS


@pytest.mark.django_db(transaction=True)
def test_the_pool_recovers_stale_runs_on_its_own(engine, user, settings):
    from tasks.tests.helpers import wait_for

    settings.EXECUTOR_STALE_AFTER = 30
    task = running_task(user, heartbeat_age=120)
    wait_for(
        lambda: Task.objects.get(pk=task.pk).status == Status.FAILED,
        timeout=10,
        message="the dispatcher to recover the run",
    )


@pytest.mark.django_db(transaction=True)
def test_a_killed_servers_run_ends_interrupted_and_its_orphaned_script_dies(
    user, settings, pidfile
):
    """A separate process supervises a run and is killed with SIGKILL; its script lives on
    in its own session until recovery notices the stale heartbeat and ends both."""
    import os
    import signal
    import subprocess
    import sys

    from tasks import services
    from tasks.tests.helpers import database_url, pid_alive, read_pids, wait_for

    task = services.execute(user, "sleeper", {"pidfile": str(pidfile)}, [])
    code = (
        "import django; django.setup();"
        "from tasks.executor.backends import InlineBackend;"
        f"InlineBackend().submit('{task.pk}')"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "executor_site.settings",
        "DJANGO_SECRET_KEY": "test",
        "DJANGO_ENV_FILE": "/nonexistent",
        "DATABASE_URL": database_url(),
        "EXECUTOR_SCRIPTS": settings.EXECUTOR_SCRIPTS,
        "EXECUTOR_HEARTBEAT_INTERVAL": "0.5",
    }
    server = subprocess.Popen([sys.executable, "-c", code], env=env)
    try:
        wait_for(pidfile.exists, timeout=20, message="the script to start")
        script, grandchild = read_pids(pidfile)
        # The script can write its pid file before the supervisor records the pid on the
        # row; recovery kills only a process group the row names.
        wait_for(lambda: Task.objects.get(pk=task.pk).pid, message="the row to name the pid")
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        assert pid_alive(script)  # the orphan outlives its supervisor

        settings.EXECUTOR_STALE_AFTER = 1.5
        wait_for(lambda: recover_stale() == 1, timeout=10, message="the heartbeat to go stale")
        task.refresh_from_db()
        assert (task.status, task.end_reason) == (Status.FAILED, EndReason.INTERRUPTED)
        assert "was still running on this machine and was killed" in task.error
        wait_for(lambda: not pid_alive(script), timeout=5, message="the orphan to die")
        wait_for(lambda: not pid_alive(grandchild), timeout=5, message="its child to die")
    finally:
        server.kill()
        server.wait()


@pytest.mark.django_db(transaction=True)
def test_recovery_kills_what_left_the_dead_runs_process_group(user, tmp_path, settings):
    """A crashed supervisor's script, and its grandchild that called setsid(), both die."""
    import contextlib
    import os
    import socket
    import sys
    from pathlib import Path

    from tasks.executor import child
    from tasks.executor.environment import child_environment
    from tasks.tests.helpers import pid_alive, read_pids, wait_for

    settings.EXECUTOR_STALE_AFTER = 30
    task = running_task(user, heartbeat_age=120)
    pidfile = tmp_path / "pids"
    script = Path(__file__).parent.parent / "scripts" / "escaper.py"
    proc = child.spawn(
        [sys.executable, str(script), "--pidfile", str(pidfile)],
        cwd=tmp_path,
        env=child_environment({}, task.pk, True),
    )
    grandchild = None
    try:
        wait_for(pidfile.exists, message="the pid file")
        grandchild = read_pids(pidfile)[1]
        Task.objects.filter(pk=task.pk).update(
            pid=proc.pid, started_at=timezone.now(), worker=f"{socket.gethostname()}:1"
        )
        assert recover_stale() == 1
        error = Task.objects.get(pk=task.pk).error
        assert "was still running on this machine and was killed" in error
        wait_for(lambda: not pid_alive(grandchild), timeout=5, message="the grandchild to die")
    finally:
        for pid in (proc.pid, grandchild):
            if pid and pid_alive(pid):
                os.kill(pid, 9)
        child.reap(proc)
        # The grandchild may have been re-parented to this process (a subreaper): reap it.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(grandchild or -1, os.WNOHANG)
