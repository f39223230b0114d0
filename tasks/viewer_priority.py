"""Viewers yield the processors to runs: a thread that streams a run's live output lowers
its own CPU priority while it streams.

On a busy machine the runs (their scripts, and the threads that read their pipes) then
get the processors first and the viewers what is left: a viewer that falls behind during
a flood catches up after it, instead of slowing the run down. Fifty stream viewers of a
45 MB flood are 2.25 GB through the server's sockets, more than a second of a core for
the copying alone (docs/benchmarks.md, "One browser page, fifty stream viewers").

Linux keeps a nice value per thread (setpriority on the thread's id changes only that
thread). Anyone may raise it; only a privileged process, or one whose RLIMIT_NICE allows
it, may lower it back. A thread that serves other requests after this one (gunicorn's
thread pool) is therefore lowered only where it can be raised back; a thread of its own
per request, which ends with the stream (manage.py runserver and serve: the server puts
THREAD_PER_REQUEST in the WSGI environ), is lowered in any case. Elsewhere (another
system, an ASGI server's shared threads) nothing changes.

Hand-written because it is a few lines over os.setpriority; psutil changes a whole
process's priority, not a thread's.
"""

import contextlib
import os
import resource
import sys
import threading

# Added to the nice value, up to 19, the lowest priority: a nice-19 thread gets 1.5 % of
# what a nice-0 one does when they compete for a core, and all it wants when none does.
# Fifty stream viewers of a flood (bench/output_throughput.py --viewers, quiet machine):
# the run took 2.72-2.81x its time alone at nice 0, 2.22x at 10, 1.81-1.87x at 19.
NICENESS = 19
THREAD_PER_REQUEST = "executor.thread_per_request"  # a WSGI environ key


def can_be_raised_back_to(nice):
    if os.geteuid() == 0:
        return True
    soft, _hard = resource.getrlimit(resource.RLIMIT_NICE)
    return soft == resource.RLIM_INFINITY or 20 - soft <= nice


@contextlib.contextmanager
def behind_the_runs(thread_per_request=False):
    """Lower this thread's CPU priority for the duration (see the module's docstring)."""
    thread, before = threading.get_native_id(), _lowered(thread_per_request)
    try:
        yield
    finally:
        if before is not None:
            # A thread of its own per request may be unable to; it ends with the request.
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, thread, before)


def _lowered(thread_per_request):
    """The thread's nice value before it was lowered, or None when it was not."""
    if sys.platform != "linux":  # elsewhere a thread's id is not a setpriority target
        return None
    thread = threading.get_native_id()
    try:
        before = os.getpriority(os.PRIO_PROCESS, thread)
        if not (thread_per_request or can_be_raised_back_to(before)):
            return None
        os.setpriority(os.PRIO_PROCESS, thread, min(19, before + NICENESS))
    except OSError:  # a sandbox that forbids it: the stream goes on as it is
        return None
    return before
