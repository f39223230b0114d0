"""A run's whole tree (process_tree.py): cancel, timeout and stop reach a grandchild
that left the script's process group and session, and the orphans are reaped."""

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tasks import services
from tasks.executor import child, process_tree
from tasks.executor.ending import STOPPED_MESSAGE
from tasks.models import EndReason, Status, Task
from tasks.tests.helpers import pid_alive, read_pids, wait_finished, wait_for

PR_GET_CHILD_SUBREAPER = 37

pytestmark = pytest.mark.django_db(transaction=True)


def start_escaper(user, pidfile, script="escaper"):
    task = services.execute(user, script, {"pidfile": str(pidfile)}, [])
    wait_for(pidfile.exists, message="the pid file")
    script_pid, grandchild = read_pids(pidfile)
    # It really left: another session, another process group, no longer below the script.
    assert os.getsid(grandchild) == grandchild != os.getsid(script_pid)
    assert os.getpgid(grandchild) != os.getpgid(script_pid)
    return task, script_pid, grandchild


def assert_gone(*pids):
    for pid in pids:
        # pid_alive counts a zombie as gone; /proc shows whether it was also reaped.
        wait_for(lambda pid=pid: not pid_alive(pid), timeout=5, message=f"{pid} to die")
        wait_for(lambda pid=pid: not Path(f"/proc/{pid}").exists(), timeout=5, message="reaping")


def test_cancel_kills_a_grandchild_that_called_setsid(engine, user, pidfile):
    task, script_pid, grandchild = start_escaper(user, pidfile)
    services.cancel(user, Task.objects.get(pk=task.pk))
    done = wait_finished(task.pk, timeout=10)
    assert (done.status, done.end_reason) == (Status.CANCELLED, EndReason.CANCELLED)
    assert_gone(script_pid, grandchild)


def test_timeout_kills_a_grandchild_that_called_setsid(engine, user, pidfile):
    task, script_pid, grandchild = start_escaper(user, pidfile, "escaper_timeout")
    done = wait_finished(task.pk, timeout=10)
    assert (done.status, done.end_reason) == (Status.FAILED, EndReason.TIMEOUT)
    assert_gone(script_pid, grandchild)


def test_stopping_the_engine_kills_a_grandchild_that_called_setsid(engine, user, pidfile):
    task, script_pid, grandchild = start_escaper(user, pidfile)
    engine.shutdown()
    done = Task.objects.get(pk=task.pk)
    assert (done.status, done.end_reason) == (Status.FAILED, EndReason.INTERRUPTED)
    assert done.error == STOPPED_MESSAGE
    assert_gone(script_pid, grandchild)


def test_the_supervising_process_is_a_child_subreaper():
    assert process_tree.become_subreaper()
    value = ctypes.c_int()
    assert ctypes.CDLL(None).prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(value), 0, 0, 0) == 0
    assert value.value == 1


def test_an_orphan_of_another_run_or_without_the_marker_is_left_alone(tmp_path):
    process_tree.become_subreaper()
    # A process that leaves a child behind, marked as another run's, and one unmarked.
    code = (
        "import os, subprocess, sys\n"
        "for mark in ('other-run', None):\n"
        "    env = dict(os.environ)\n"
        "    env.pop('EXECUTOR_TASK_ID', None)\n"
        "    if mark: env['EXECUTOR_TASK_ID'] = mark\n"
        "    p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'], env=env,"
        " start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "    print(p.pid, flush=True)\n"
    )
    env = {**os.environ, process_tree.MARKER: "this-run"}
    leaver = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    strays = [int(pid) for pid in leaver.stdout.split()]
    proc = child.spawn(
        [sys.executable, "-c", "import time; time.sleep(30)"], cwd=Path.cwd(), env=env
    )
    tree = process_tree.ProcessTree(proc, "this-run")
    try:
        # Re-parented to this process, the subreaper, like a run's own orphans.
        wait_for(lambda: all(psutil.Process(pid).ppid() == os.getpid() for pid in strays))
        assert {p.pid for p in tree.members()}.isdisjoint(strays)
        tree.kill()
        tree.reap()
        assert all(pid_alive(pid) for pid in strays)
    finally:
        for pid in strays:
            os.kill(pid, 9)
            os.waitpid(pid, 0)


def test_the_kernel_lists_find_the_tree_the_process_table_scan_finds():
    """members() reads the kernel's children lists; psutil's scan of every process is
    the fallback. Both find a grandchild below the script and an adopted orphan of this
    run, and nothing else."""
    assert process_tree.KERNEL_CHILDREN
    process_tree.become_subreaper()
    code = (
        "import os, subprocess, sys, time\n"
        "sleep = [sys.executable, '-c', 'import time; time.sleep(30)']\n"
        "below = subprocess.Popen(sleep)\n"
        "if os.fork() == 0:\n"  # a child that leaves: its own child becomes an orphan
        "    orphan = subprocess.Popen(sleep, start_new_session=True)\n"
        "    print(orphan.pid, flush=True)\n"
        "    os._exit(0)\n"
        "os.wait()\n"  # reaped before the test looks: no exiting child in either list
        "print(below.pid, flush=True)\n"
        "time.sleep(30)\n"
    )
    env = {**os.environ, process_tree.MARKER: "this-run"}
    proc = child.spawn([sys.executable, "-c", code], cwd=Path.cwd(), env=env)
    tree = process_tree.ProcessTree(proc, "this-run")
    try:
        orphan = int(proc.stdout.readline())
        below = int(proc.stdout.readline())
        wait_for(lambda: psutil.Process(orphan).ppid() == os.getpid(), message="adoption")
        found = {p.pid for p in tree.members()}
        assert found == {p.pid for p in tree._members_by_scan()}
        assert found == {below, orphan}
    finally:
        tree.kill()
        tree.reap()
    assert_gone(orphan)
    wait_for(lambda: not pid_alive(below), timeout=5, message="the grandchild to die")


def test_a_process_below_the_script_killed_with_it_is_reaped_too():
    """Killed with its parent, the script's child is re-parented to this process (the
    subreaper) as it dies: it is reaped, not left a zombie until the server exits."""
    process_tree.become_subreaper()
    code = (
        "import subprocess, sys, time\n"
        "below = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
        "print(below.pid, flush=True)\n"
        "time.sleep(30)\n"
    )
    env = {**os.environ, process_tree.MARKER: "killed-together"}
    proc = child.spawn([sys.executable, "-c", code], cwd=Path.cwd(), env=env)
    tree = process_tree.ProcessTree(proc, "killed-together")
    below = int(proc.stdout.readline())
    tree.kill()
    tree.reap()
    assert_gone(proc.pid, below)
