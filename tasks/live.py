"""Wake live viewers in this process the moment a run in this process writes output.

Viewers of runs supervised elsewhere (another web process, a Celery worker) poll the
database instead; this only shortens the wait when writer and reader share a process.
"""

import threading

_changed = threading.Condition()
_versions = {}
MAX_TRACKED = 10_000


def version(task_id):
    return _versions.get(task_id, 0)


def notify(task_id):
    with _changed:
        if len(_versions) >= MAX_TRACKED:
            _versions.clear()  # waiters see a changed version and simply re-read
        _versions[task_id] = _versions.get(task_id, 0) + 1
        _changed.notify_all()


def wait(task_id, seen, timeout):
    """Block until the task's version differs from `seen` or `timeout` passes."""
    with _changed:
        _changed.wait_for(lambda: _versions.get(task_id, 0) != seen, timeout)
        return _versions.get(task_id, 0)
