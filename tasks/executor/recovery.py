"""End runs whose supervisor died: a stale heartbeat means nobody is watching them.

The row is ended as failed/interrupted. If the dead supervisor ran on this machine and
its script is still running (it has a session of its own, so it outlives a killed
server), its process group is killed too, and every process that carries the run's
marker (process_tree.kill_marked): nobody could see, cancel or time them out.
"""

import logging
import os
import signal
import socket
from datetime import datetime

from django.utils import timezone

from tasks.executor import process_tree
from tasks.executor.workdir import sweep_orphans
from tasks.models import Task

logger = logging.getLogger(__name__)

# How far a process's start may be from the run's start for it to be that run's script.
# A pid is only reused after the old process is gone, so a process that started within
# this window, leads its own session, and carries the recorded pid, is the orphan.
SAME_PROCESS_WINDOW = 30.0


def recover_stale(now: datetime | None = None) -> int:
    """Mark running tasks with a stale heartbeat failed/interrupted; return how many."""
    now = now or timezone.now()
    ended = 0
    stale = Task.objects.stale(now).only("pk", "worker", "heartbeat_at", "pid", "started_at")
    for task in stale:
        last = timezone.localtime(task.heartbeat_at).strftime("%Y-%m-%d %H:%M:%S %Z")
        error = (
            f"its worker {task.worker or '(unknown)'} stopped sending heartbeats "
            f"(last one at {last}); the server or machine probably stopped during the run"
        )
        # Still stale when written: a supervisor that was only slow and wrote a heartbeat
        # since the query keeps its run.
        if not Task.objects.interrupt_stale(task.pk, error=error, now=now):
            continue
        ended += 1
        logger.warning("task %s interrupted: worker %s went silent", task.pk, task.worker)
        if kill_orphan(task):
            Task.objects.explain_interruption(
                task.pk,
                f"{error}; its script (process group {task.pid}) was still running "
                "on this machine and was killed",
            )
    sweep_orphans()  # and the working folders such runs left on this machine
    return ended


def kill_orphan(task: Task) -> bool:
    """Kill the script a dead supervisor on this machine left running; True if it did."""
    host, _, _ = task.worker.rpartition(":")
    if not task.pid or host != socket.gethostname() or task.started_at is None:
        return False
    # What left the script's process group: by the run's marker, started after the run.
    strays = process_tree.kill_marked(task.pk, task.started_at.timestamp() - SAME_PROCESS_WINDOW)
    try:
        if os.getsid(task.pid) != task.pid:
            return strays > 0  # not a session leader: not a script this engine started
        started = process_start_time(task.pid)
        if started is None or abs(started - task.started_at.timestamp()) > SAME_PROCESS_WINDOW:
            return strays > 0  # the pid was reused by something else
        os.killpg(task.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return strays > 0
    logger.warning("task %s: killed its orphaned process group %s", task.pk, task.pid)
    return True


def process_start_time(pid: int) -> float | None:
    """When a process started, as a Unix time (Linux /proc); None where unknown."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        with open("/proc/stat") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith("btime "))
    except (OSError, StopIteration, IndexError, ValueError):
        return None
    # Field 22 of stat (20th after the command name): start time in clock ticks after boot.
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
