"""The child process of a run: spawned in a session of its own, signalled as a group,
reaped once, with its resource use.

A script runs as the leader of a new session (and so of a new process group): a signal
to the group reaches everything it started, and the group outlives a killed server (see
recovery.py, which finds such orphans).
"""

import contextlib
import fcntl
import os
import resource
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
PIPE_SIZE = 1 << 20  # a roomy pipe lets a chatty child write without waiting for us
READ_SIZE = 1 << 20


def spawn(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> subprocess.Popen:
    """Start the script with both output streams on pipes; raises OSError when it cannot."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
        start_new_session=True,  # its own process group: cancel reaches grandchildren
        close_fds=True,
        bufsize=0,
    )
    # The child starts on this thread's CPU, and this thread (often a web request's)
    # has more to do. Yielding once lets the scheduler run the child first and spread
    # the two over the cores; without it a Python child's start-up measured 0.4 ms
    # (5 %) slower on two cores.
    os.sched_yield()
    return proc


def prepare_pipe(fd: int) -> None:
    """Make an output pipe roomy and non-blocking."""
    # The system may cap pipe sizes; the default still works, only a bit slower.
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE)
    os.set_blocking(fd, False)


def kill_group(proc: subprocess.Popen | None, sig: int) -> None:
    """Signal the child's whole process group (nothing when it is already gone)."""
    if proc is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def reap(proc: subprocess.Popen | None) -> resource.struct_rusage | None:
    """Wait for the child, set its return code, close its pipes; its resource use, or
    None when there was nothing to reap."""
    if proc is None or proc.returncode is not None:
        return None
    _, status, rusage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    return rusage


def read(fd: int) -> bytes | None:
    """What a non-blocking pipe holds (b"" at its end); None when nothing yet."""
    try:
        return os.read(fd, READ_SIZE)
    except BlockingIOError:
        return None


def drain(fd: int) -> None:
    """Empty a non-blocking pipe (the supervisor's wake-up pipe)."""
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def open_pidfd(pid: int) -> int | None:
    """A file descriptor that becomes readable when the process exits (Linux), or None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def has_exited(pid: int) -> bool:
    """Whether the child has exited, without reaping it (its pid stays ours)."""
    try:
        result = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return result is not None
