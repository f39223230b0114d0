"""The engine's timed housekeeping: ending runs whose supervisor died (recovery.py),
sending again the Celery messages that seem lost, and the daily retention pass
(retention.py), a little at a time.

The thread pool's dispatcher calls `recover_stale` and `retention_round` between its
claims; each Celery worker process runs a `Housekeeper` thread that does all three.
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from celery import Celery
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from tasks.executor.background import BackgroundThread
from tasks.executor.messages import send_once
from tasks.executor.recovery import recover_stale
from tasks.executor.retention import HOUSEKEEPING_BUDGET, run_due
from tasks.executor.supervisor import worker_name
from tasks.history.purging import PurgeResult
from tasks.models import Task

logger = logging.getLogger(__name__)

__all__ = [
    "Housekeeper",
    "TimedRounds",
    "add_round",
    "recover_stale",
    "retention_round",
    "send_lost",
]

# Rounds that the layers above add to the engine's loops (the scheduler's tick, from
# tasks.services.schedules): each returns how many seconds may pass before its next call.
Round = Callable[[], float]
_rounds: list[Round] = []


def add_round(round_: Round) -> None:
    """Have every engine loop in this process call `round_` when it is due."""
    if round_ not in _rounds:
        _rounds.append(round_)


class TimedRounds:
    """The added rounds, each called when the delay it last returned has passed."""

    def __init__(self) -> None:
        self._due: dict[Round, float] = {}

    def run_due(self, longest: float) -> float:
        """Call the rounds that are due; return the seconds until the next one (at most
        `longest`). A round that raises is logged and called again after `longest`."""
        now = time.monotonic()
        for round_ in list(_rounds):
            if self._due.get(round_, 0.0) > now:
                continue
            try:
                delay = round_()
            except Exception:
                logger.exception("engine round %s failed; will retry", round_)
                delay = longest
            self._due[round_] = time.monotonic() + delay
        if not self._due:
            return longest
        return max(0.0, min(longest, min(self._due.values()) - time.monotonic()))


# A new task whose id could not be sent at submission is sent by housekeeping after this
# many housekeeping rounds (the grace keeps it from racing the submission's own send).
UNSENT_GRACE_ROUNDS = 2
REQUEUE_BATCH = 500


def retention_round(worker: str) -> PurgeResult | None:
    """A little of the day's retention pass, if it is `worker`'s (retention.py)."""
    return run_due(worker, budget=HOUSEKEEPING_BUDGET)


def send_lost(app: Celery, now: datetime | None = None) -> int:
    """Send again the pending tasks whose message seems lost; return how many were sent.

    Never sent (the broker was down at submission): after two rounds. Sent but still
    pending after EXECUTOR_REQUEUE_AFTER: again, in case the broker lost the message. A
    duplicate is harmless: whichever message comes second finds the task taken."""
    now = now or timezone.now()
    grace = timedelta(seconds=UNSENT_GRACE_ROUNDS * settings.EXECUTOR_HEARTBEAT_INTERVAL)
    unsent = Q(enqueued_at__isnull=True, created_at__lt=now - grace)
    stale = Q(enqueued_at__lt=now - timedelta(seconds=settings.EXECUTOR_REQUEUE_AFTER))
    lost = (
        Task.objects.pending()
        .filter(unsent | stale)
        .order_by("created_at")
        .values_list("pk", "queue", "enqueued_at")[:REQUEUE_BATCH]
    )
    sent = 0
    for task_id, queue, last_sent in lost:
        outcome = send_once(app, task_id, queue, last_sent, now)
        if outcome == "unreachable":
            break  # the rest at the next round
        sent += outcome == "sent"
    if sent:
        logger.info("sent %d pending task(s) again", sent)
    return sent


class Housekeeper(BackgroundThread):
    """A thread in each worker process: ends runs whose worker died, sends lost ids,
    purges old runs once a day (EXECUTOR_RETENTION_DAYS)."""

    thread_name = "executor-housekeeping"

    def __init__(self, app: Celery, interval: float | None = None) -> None:
        self.app = app
        self.interval = interval or settings.EXECUTOR_HEARTBEAT_INTERVAL
        self._rounds = TimedRounds()
        super().__init__()

    def run_once(self) -> None:
        recover_stale()
        send_lost(self.app)
        retention_round(worker_name())

    def _loop(self) -> None:
        # A first round at once: a worker restarted after a crash ends its own old runs.
        next_round = 0.0
        while True:
            try:
                if time.monotonic() >= next_round:
                    self.run_once()
                    next_round = time.monotonic() + self.interval
                wait = self._rounds.run_due(max(0.0, next_round - time.monotonic()))
            except Exception:
                logger.exception("housekeeping failed; will retry")
                wait = self.interval
            finally:
                # Never hold a connection while idle: a prefork pool forks children from
                # this process, and a child must not inherit a live connection.
                connection.close()
            if self._stopping.wait(wait):
                return
