"""The watchdog of one run, driven by its supervisor's loop: flags the run stalled when it
has printed nothing for `stall_after` seconds (and clears the flag when it prints again),
cancels it after `cancel_after_stall` more seconds if its entry says so, and flags it
overran, once, at three times the median duration of its script's last 20 successful
runs (when there are at least 5).

Row writes are the Task's guarded verbs; the events they raise go out after commit
(tasks.notifications). A failure here is logged and never reaches the run.
"""

import logging
import statistics
import time
from collections.abc import Callable

from django.conf import settings

from tasks.catalog.entry import ScriptEntry
from tasks.models import Status, Task

logger = logging.getLogger(__name__)

OVERRUN_FACTOR = 3
OVERRUN_HISTORY = 20
OVERRUN_MIN_RUNS = 5


def usual_duration(script: str) -> float | None:
    """The median duration in seconds of the script's last 20 successful runs, or None
    when it has fewer than 5."""
    durations = list(
        Task.objects.filter(script=script, status=Status.SUCCESS, duration__isnull=False)
        .order_by("-created_at", "-id")  # the (script, status, created_at) index's order
        .values_list("duration", flat=True)[:OVERRUN_HISTORY]
    )
    if len(durations) < OVERRUN_MIN_RUNS:
        return None
    return statistics.median(duration.total_seconds() for duration in durations if duration)


class Watchdog:
    def __init__(self, task: Task, entry: ScriptEntry, cancel: Callable[[], None]) -> None:
        self.task = task
        self.cancel = cancel
        self.stall_after = entry.stall_after or settings.EXECUTOR_STALL_AFTER
        self.cancel_after_stall = entry.cancel_after_stall
        self.last_output = time.monotonic()
        self.stalled_since: float | None = None
        self._cancelled = False
        self.overrun_at: float | None = None
        try:
            usual = usual_duration(task.script)
        except Exception:
            logger.exception("task %s: could not read its usual duration", task.pk)
            usual = None
        if usual is not None:
            self.overrun_at = self.last_output + max(usual * OVERRUN_FACTOR, 0.001)

    def output_seen(self) -> None:
        self.last_output = time.monotonic()
        if self.stalled_since is not None:
            self.stalled_since = None
            self._guarded(self.task.clear_stall)

    def check(self, now: float) -> None:
        """Called on every turn of the supervisor's loop (at least every 0.25 s)."""
        silent = now - self.last_output
        if self.stall_after and self.stalled_since is None and silent >= self.stall_after:
            self.stalled_since = now
            self._guarded(self.task.mark_stalled)
        if (
            self.stalled_since is not None
            and self.cancel_after_stall
            and not self._cancelled
            and now - self.stalled_since >= self.cancel_after_stall
        ):
            self._cancelled = True
            logger.info("task %s: cancelled after being stalled", self.task.pk)
            self.cancel()
        if self.overrun_at is not None and now >= self.overrun_at:
            self.overrun_at = None
            self._guarded(self.task.mark_overran)

    def _guarded(self, verb: Callable[[], bool]) -> None:
        try:
            verb()
        except Exception:
            logger.exception("task %s: the watchdog could not write", self.task.pk)
