"""The Celery workers' pool: Celery's thread pool, able to stop a run.

Celery ends the jobs of a worker in cold shutdown (SIGQUIT, a second Ctrl+C), and those
of `celery control revoke --terminate`, through `terminate_job(pid)`, which the plain
thread pool does not implement: the worker crashed and hung while its scripts ran on
unwatched. Here each job reports its thread id as its
pid, and terminating it calls the stop function the job registered: for a run, its
supervisor's cancel, which stops the script's process group and records the run as
interrupted. A warm shutdown (SIGTERM, a first Ctrl+C) waits for the jobs to end, which
for a run could be hours: celery.py stops them all (`stop_all`) when it begins.

Celery imports this module while it parses its command line, before Django is set up:
it must not import models.
"""

import threading

from celery.concurrency.thread import TaskPool

_stops: dict = {}  # thread id -> how to stop the job running in that thread
_lock = threading.Lock()


def register_job(stop):
    """Let a job stop when Celery terminates it; returns the key to `unregister_job`."""
    thread = threading.get_native_id()
    with _lock:
        _stops[thread] = stop
    return thread


def unregister_job(key):
    with _lock:
        _stops.pop(key, None)


def stop_all():
    """Stop every job that registered how (the worker is shutting down); how many."""
    with _lock:
        stops = list(_stops.values())
    for stop in stops:
        stop()
    return len(stops)


class ThreadPool(TaskPool):
    def on_apply(self, target, args=None, kwargs=None, callback=None, accept_callback=None, **kw):
        if accept_callback is not None:
            accepted = accept_callback

            def accept_callback(pid, time_accepted):
                # Called in the job's thread just before the task runs.
                accepted(threading.get_native_id(), time_accepted)

        return super().on_apply(target, args, kwargs, callback, accept_callback, **kw)

    def terminate_job(self, pid, signal=None):
        with _lock:
            stop = _stops.get(pid)
        if stop is not None:
            stop()
