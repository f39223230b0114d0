"""Keep the history from growing without bound: purge old runs once a day.

With EXECUTOR_RETENTION_DAYS set, the first process to look on a given day claims that
day's pass by inserting its RetentionPass row (the day is unique, so exactly one insert
wins however many web processes or workers race), and that process purges the finished
runs created before the cutoff. The thread pool's dispatcher thread calls `run_due`
every poll interval with a small time budget, so the purge goes a little at a time and
never holds up the claiming of runs it shares a thread with; each Celery worker's
housekeeping thread does the same (tasks/executor/celery.py).

A process that dies in the middle of its pass leaves the day unfinished; the next day's
pass purges everything older than its own cutoff, so nothing is missed for long.
"""

import logging
import time
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tasks.history import purging
from tasks.models import RetentionPass, Task

logger = logging.getLogger(__name__)

# Backends whose processes run `run_due` by themselves (the thread pool's dispatcher, the
# Celery workers' housekeeping).
BACKENDS_WITH_RETENTION = {"thread", "celery"}
# Seconds of purging per housekeeping round (the thread pool's dispatcher, a Celery
# worker's housekeeper) when a pass is due: it goes a little at a time, so the round's
# other work (claiming runs, ending stale ones) is never held up for long.
HOUSEKEEPING_BUDGET = 0.2


def cutoff(days: int, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=days)


def run_due(
    worker: str, now: datetime | None = None, budget: float | None = None
) -> purging.PurgeResult | None:
    """Do (some of) today's retention pass if it is this worker's to do.

    Returns the PurgeResult of what was done now, or None when retention is off or the
    day's pass belongs to another worker or is finished. `budget` is in seconds.
    """
    days = settings.EXECUTOR_RETENTION_DAYS
    if not days:
        return None
    now = now or timezone.now()
    today = timezone.localdate(now)
    current = RetentionPass.objects.filter(day=today).first() or _claim(
        today, cutoff(days, now), worker, now
    )
    if current is None or current.worker != worker or current.finished_at is not None:
        return None
    deadline = time.monotonic() + budget if budget is not None else None
    # The system purges: no actor, no access checks (the audit trail says "system").
    result = purging.purge(
        None, Task.objects.filter(created_at__lt=current.cutoff), deadline=deadline
    )
    current.add_progress(runs=result.runs, log_bytes=result.log_bytes, complete=result.complete)
    if result.complete:
        logger.info(
            "retention pass of %s finished: runs created before %s purged", today, current.cutoff
        )
    return result


def _claim(day: date, before: datetime, worker: str, now: datetime) -> RetentionPass | None:
    try:
        with transaction.atomic():
            return RetentionPass.objects.create(
                day=day, cutoff=before, worker=worker, started_at=now
            )
    except IntegrityError:
        # Another process inserted the day's row first: the pass is theirs.
        return None
