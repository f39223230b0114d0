"""A run's whole process tree: the script and everything it started, wherever it went.

A script leads a session of its own, so a signal to its process group reaches what it
started, unless a descendant left the group (`setsid()`, `setpgid()`, a daemon's double
fork). To reach those too, the supervising process makes itself a child subreaper
(Linux `prctl(PR_SET_CHILD_SUBREAPER)`): a descendant whose parent dies is re-parented to
this process instead of to init. A run's tree is then

- every process below the script (found by parent links while they last), and
- every orphan re-parented to this process that carries the run's `EXECUTOR_TASK_ID` in
  its environment (child_environment sets it), with everything below it.

What it cannot catch: a descendant that left the tree *and* cleared or replaced its
environment after its parent died; one that another subreaper or a container's init
adopted; and processes started through another service (`systemd-run`, `at`, a daemon
over a socket). A cgroup per run would catch the first, but needs a writable cgroup
tree, which a server process usually does not have.

The tree is found through the kernel's per-thread children lists
(`/proc/<pid>/task/<tid>/children`), a few small reads; psutil reads the environment and
sends the signals (checking that a process is still the one found, so a reused pid is
never signalled). psutil's own `children()` scans the whole process table: two scans at
every run's end cost 11-13 ms on a machine with 130 processes, most of what the engine
added to a trivial run. Where the kernel has no children lists, psutil's scan is used.
"""

import contextlib
import ctypes
import logging
import os
import resource
import signal
import subprocess
import threading
import time

import psutil

from tasks.executor import child

logger = logging.getLogger(__name__)

PR_SET_CHILD_SUBREAPER = 36
MARKER = "EXECUTOR_TASK_ID"
KILL_WAIT = 1.0  # seconds to wait for SIGKILLed orphans to die, so that they are reaped

_SELF = os.getpid()
# CONFIG_PROC_CHILDREN: the kernel keeps the lists (every common distribution's kernel).
KERNEL_CHILDREN = os.path.exists(f"/proc/{_SELF}/task/{_SELF}/children")

_lock = threading.Lock()
_subreaper: bool | None = None
# Scripts this process's supervisors spawned and will reap themselves (pid -> task id):
# the orphan reaper leaves them alone.
_scripts: dict[int, object] = {}  # script pid -> its task id
# Orphans of runs that were re-parented to this process, seen alive: reaped once they exit.
_adopted: set[int] = set()
# Members of a tree killed while still below their script (pid -> start time): killed
# with their parent, they are re-parented to this process as they die, too late to be
# seen as orphans, and are reaped once they are this process's own zombies.
_killed: dict[int, float] = {}


def become_subreaper() -> bool:
    """Make this process the subreaper of its descendants (once); whether it is one."""
    global _subreaper
    with _lock:
        if _subreaper is None:
            _subreaper = False
            with contextlib.suppress(OSError, AttributeError):
                libc = ctypes.CDLL(None, use_errno=True)
                _subreaper = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
            if not _subreaper:
                logger.warning(
                    "could not become a child subreaper: a descendant that leaves its "
                    "script's process group may outlive its run"
                )
        return _subreaper


class ProcessTree:
    """The process tree of one run's script (`proc`, spawned for task `task_id`)."""

    def __init__(self, proc: subprocess.Popen, task_id: object) -> None:
        self.proc = proc
        self.task_id = task_id
        self.killed = False  # whether SIGKILL had to end a stop the script did not obey
        self._killed_members: list[psutil.Process] = []
        _scripts[proc.pid] = task_id

    def members(self) -> list[psutil.Process]:
        """Every live process of the run but the script itself."""
        if not KERNEL_CHILDREN:
            return self._members_by_scan()
        pids = descendants(self.proc.pid)
        mark = str(self.task_id)
        for pid in children_of(os.getpid()):
            if pid in _scripts:
                continue
            with contextlib.suppress(psutil.Error):
                if psutil.Process(pid).environ().get(MARKER) == mark:
                    _adopted.add(pid)
                    pids.extend([pid, *descendants(pid)])
        found: dict[int, psutil.Process] = {}
        for pid in pids:
            if pid != self.proc.pid and pid not in found:
                with contextlib.suppress(psutil.Error):
                    found[pid] = psutil.Process(pid)
        return list(found.values())

    def _members_by_scan(self) -> list[psutil.Process]:
        found: dict[int, psutil.Process] = {}
        with contextlib.suppress(psutil.Error):
            for process in psutil.Process(self.proc.pid).children(recursive=True):
                found[process.pid] = process
        for orphan in self._orphans():
            found[orphan.pid] = orphan
            with contextlib.suppress(psutil.Error):
                found.update((p.pid, p) for p in orphan.children(recursive=True))
        found.pop(self.proc.pid, None)
        return list(found.values())

    def _orphans(self) -> list[psutil.Process]:
        mark = str(self.task_id)
        orphans = []
        with contextlib.suppress(psutil.Error):
            for process in psutil.Process().children():
                if process.pid in _scripts:
                    continue
                with contextlib.suppress(psutil.Error):
                    if process.environ().get(MARKER) == mark:
                        orphans.append(process)
                        _adopted.add(process.pid)
        return orphans

    def signal(self, sig: int) -> list[psutil.Process]:
        """Send `sig` to the script's process group and to every other member; the
        members signalled."""
        # The members are found first: once the group's signal has ended the script, a
        # process below it is re-parented here, and dead, it no longer shows its marker.
        members = self.members()
        # While the script is unreaped its pid (the group's id) is ours.
        if self.proc.returncode is None:
            child.kill_group(self.proc, sig)
        for process in members:
            with contextlib.suppress(psutil.Error):
                process.send_signal(sig)
        return members

    def begin_stop(self, grace: float, reason: str | None) -> float | None:
        """SIGTERM to the tree; when (monotonic) SIGKILL is due, None if it was sent now."""
        logger.info("task %s: stopping (%s)", self.task_id, reason)
        if grace <= 0:
            self.kill(after_grace=True)
            return None
        self.signal(signal.SIGTERM)
        return time.monotonic() + grace

    def kill(self, *, after_grace: bool = False) -> None:
        """SIGKILL the whole tree and reap what of it was re-parented to this process.
        `after_grace`: the kill ends a stop (the run is recorded as killed)."""
        self.killed = self.killed or after_grace
        members = self.signal(signal.SIGKILL)
        for process in members:
            with contextlib.suppress(psutil.Error):
                _killed[process.pid] = process.create_time()
                self._killed_members.append(process)
        adopted = [p for p in members if p.pid in _adopted]
        # SIGKILL is not instant: wait a moment so that the orphans can be reaped now
        # rather than at some later run's end.
        psutil.wait_procs(adopted, timeout=KILL_WAIT)
        reap_orphans()

    def reap(self) -> resource.struct_rusage | None:
        """Reap the script (child.reap); from then on its pid is not this process's."""
        try:
            return child.reap(self.proc)
        finally:
            _scripts.pop(self.proc.pid, None)
            # Killed with the script, its children became ours as it exited, possibly
            # before their own SIGKILL had ended them: wait a moment for them so that
            # they are reaped now, not left zombies until some later run ends.
            ours = []
            for process in self._killed_members:
                with contextlib.suppress(psutil.Error):
                    if process.ppid() == os.getpid():
                        ours.append(process)
            psutil.wait_procs(ours, timeout=KILL_WAIT)
            reap_orphans()


def children_of(pid: int) -> list[int]:
    """The pids of `pid`'s children, from the kernel's lists of each of its threads (a
    subreaper's adopted orphans go to one of its threads)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for thread in os.scandir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"{thread.path}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    return found


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (not `pid` itself), from the kernel's children lists."""
    found, queue = [], [pid]
    while queue:
        children = children_of(queue.pop())
        found.extend(children)
        queue.extend(children)
    return found


def reap_orphans() -> int:
    """Reap the adopted orphans that have exited; how many. Without this they would stay
    zombies until the server exits. Only processes known to be of a run are reaped (seen
    carrying a run's marker, or killed as a member of a run's tree and still the process
    of that pid and start time), so an exit status another part of this process waits for
    is never taken from it."""
    reaped = 0
    for pid in list(_adopted):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _adopted.discard(pid)
            reaped += 1
    for pid, started in list(_killed.items()):
        try:
            process = psutil.Process(pid)
            same = process.create_time() == started
            ours = same and process.ppid() == os.getpid()
        except psutil.Error:
            same = ours = False
        if not same:  # gone, reaped by its own parent
            del _killed[pid]
        elif ours:
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0]:
                    reaped += 1
                    del _killed[pid]
    return reaped


def kill_marked(task_id: object, not_before: float) -> int:
    """SIGKILL every process of this user carrying task `task_id`'s marker that started
    at or after `not_before` (a Unix time): what is left of a run whose supervisor died,
    wherever it went. How many were killed."""
    mark, killed = str(task_id), 0
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if process.create_time() >= not_before and process.environ().get(MARKER) == mark:
                process.kill()
                killed += 1
    return killed
