"""The engine as the ways in see it: its status, its start, this worker's name, an
inline run for the terminal, and the engine's facts that `manage.py check` tests.

Pages, the API, the admin, commands and checks reach tasks.executor only through here.
"""

from collections.abc import Callable
from typing import Any

from tasks.executor.backends import BACKENDS, InlineBackend, RecordingBackend, get_backend
from tasks.executor.environment import never_passed
from tasks.executor.log_writer import MAX_CHUNK
from tasks.executor.retention import BACKENDS_WITH_RETENTION
from tasks.executor.supervisor import worker_name

__all__ = [
    "BACKENDS",
    "BACKENDS_WITH_RETENTION",
    "MAX_CHUNK",
    "Echo",
    "InlineRunner",
    "engine_status",
    "never_passed",
    "start_engine",
    "stop_engine",
    "this_worker",
]

Echo = Callable[[str, bytes], None]


def engine_status() -> dict[str, Any]:
    """What the configured backend says about itself (GET /api/health's "engine")."""
    return get_backend().status()


def start_engine() -> None:
    """Start the configured backend; starting it again does nothing."""
    get_backend().start()


def stop_engine() -> None:
    """The server is stopping: interrupt the runs this process supervises and record
    them (pending ones stay pending); on the main thread a second Ctrl-C then exits."""
    backend = get_backend()
    stop = getattr(backend, "stop_for_exit", None)
    if stop is not None:
        stop()


def this_worker() -> str:
    """The name runs claimed in this process carry in their `worker` column."""
    return worker_name()


class InlineRunner:
    """Runs one task in the caller's thread, for `manage.py run_script`.

    `recorder` is the backend services.execute hands the new row to: it only notes the
    id, so that the run starts when the command calls `run()`. `echo(stream, data)`
    receives the run's output as it comes."""

    def __init__(self, echo: Echo | None = None) -> None:
        self.recorder = RecordingBackend()
        self.backend = InlineBackend(echo=echo)

    def run(self, task_id: Any) -> None:
        """Claim the task and run it to its end here, if it can be claimed now."""
        self.backend.submit(task_id)

    def cancel(self, task_id: Any) -> bool:
        """Stop the run supervised here at once; False when it is not running here."""
        return self.backend.cancel(task_id)
