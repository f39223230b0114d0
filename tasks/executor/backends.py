"""The engine as the web side sees it: a backend chosen by EXECUTOR_BACKEND.

- "thread" (default): a pool of threads in this process (tasks.executor.threadpool).
- "inline": runs each task to its end inside `submit`, for `run_script` and for tests.
- "record": only records submitted ids, for tests of the web side alone.
- a dotted path to a class with the same methods.

services.py hands backends a task id after the row is committed, never an object.
"""

import threading
from typing import Any, Protocol
from uuid import UUID

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from tasks.executor.scheduling import claim
from tasks.executor.supervisor import Supervisor, worker_name

BACKENDS = {
    "thread": "tasks.executor.backends.ThreadBackend",
    "inline": "tasks.executor.backends.InlineBackend",
    "record": "tasks.executor.backends.RecordingBackend",
    "celery": "tasks.executor.celery.CeleryBackend",
}


class Backend(Protocol):
    """What every backend offers: the seam calls these after its transaction commits."""

    def start(self) -> None: ...
    def submit(self, task_id: UUID) -> None: ...
    def cancel(self, task_id: UUID) -> Any: ...
    def status(self) -> dict[str, Any]: ...
    def shutdown(self) -> None: ...


class ThreadBackend:
    def __init__(self):
        from tasks.executor.threadpool import ThreadPoolEngine

        self.engine = ThreadPoolEngine()

    def start(self):
        self.engine.start()

    def submit(self, task_id):
        self.engine.submit(task_id)

    def cancel(self, task_id):
        return self.engine.cancel(task_id)

    def status(self):
        return self.engine.status()

    def shutdown(self):
        self.engine.shutdown()

    def stop_for_exit(self):
        """The server is stopping: interrupt the runs (threadpool.shutdown_at_exit)."""
        self.engine.shutdown_at_exit()


class InlineBackend:
    """Runs the task in the caller's thread. `echo` receives output as it arrives."""

    def __init__(self, echo=None):
        self.echo = echo
        self.current = None

    def start(self):
        pass

    def submit(self, task_id):
        task, _ = claim(task_id, worker_name())
        if task is not None:
            self.current = Supervisor(task, echo=self.echo)
            try:
                self.current.run()
            finally:
                self.current = None

    def cancel(self, task_id):
        current = self.current
        if current is not None and current.task.pk == task_id:
            current.cancel()
            return True
        return False

    def status(self):
        return {"backend": "inline", "started": True}

    def shutdown(self):
        pass


class RecordingBackend:
    def __init__(self):
        self.submitted = []
        self.cancelled = []

    def start(self):
        pass

    def submit(self, task_id):
        self.submitted.append(task_id)

    def cancel(self, task_id):
        self.cancelled.append(task_id)
        return False

    def status(self):
        return {"backend": "record", "started": True, "submitted": len(self.submitted)}

    def shutdown(self):
        pass


_lock = threading.Lock()
_backend: Backend | None = None


def get_backend() -> Backend:
    global _backend
    with _lock:
        if _backend is None:
            from django.conf import settings

            name = settings.EXECUTOR_BACKEND
            _backend = import_string(BACKENDS.get(name, name))()
        return _backend


def reset_backend():
    """Forget the current backend (shutting it down); the next use builds a new one."""
    global _backend
    with _lock:
        backend, _backend = _backend, None
    if backend is not None:
        backend.shutdown()


@receiver(setting_changed)
def _rebuild_on_change(*, setting, **kwargs):
    if setting in ("EXECUTOR_BACKEND", "EXECUTOR_MAX_WORKERS", "CELERY_BROKER_URL"):
        reset_backend()
