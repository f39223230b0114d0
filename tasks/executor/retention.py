"""Keep the history from growing without bound: apply the retention policy once a day.

The policy (tasks/history/policy.py) is by age (EXECUTOR_RETENTION_DAYS), count per
script (EXECUTOR_RETENTION_RUNS_PER_SCRIPT) and size (EXECUTOR_RETENTION_MAX_BYTES).
With any of them set, the first process to look on a given day claims that
day's pass by inserting its RetentionPass row (the day is unique, so exactly one insert
wins however many web processes or workers race), and that process purges the finished
runs the policy selects (never an active or pinned run). The thread pool's dispatcher
thread calls `run_due` every poll interval with a small time budget, so the purge goes a
little at a time and never holds up the claiming of runs it shares a thread with; each
Celery worker's housekeeping thread does the same (tasks/executor/celery.py).

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
from tasks.history.policy import Policy
from tasks.models import RetentionPass

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
    policy = Policy.configured()
    if not policy.active:
        return None
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = settings.EXECUTOR_RETENTION_DAYS
    current = RetentionPass.objects.filter(day=today).first() or _claim(
        today, cutoff(days, now) if days else None, worker, now
    )
    if current is None or current.worker != worker or current.finished_at is not None:
        return None
    deadline = time.monotonic() + budget if budget is not None else None
    # The system purges: no actor, no access checks (the audit trail says "system").
    # The age rule keeps the cutoff the pass started with; count and size are looked at
    # afresh each round (what earlier rounds removed is gone from the figures).
    selection = policy.selection(now, age_cutoff=current.cutoff)
    result = purging.purge(None, selection, deadline=deadline)
    current.add_progress(runs=result.runs, log_bytes=result.log_bytes, complete=result.complete)
    if result.complete:
        logger.info(
            "retention pass of %s finished: runs purged by %s (age cutoff %s)",
            today,
            policy,
            current.cutoff,
        )
    return result


def _claim(day: date, before: datetime | None, worker: str, now: datetime) -> RetentionPass | None:
    try:
        with transaction.atomic():
            return RetentionPass.objects.create(
                day=day, cutoff=before, worker=worker, started_at=now
            )
    except IntegrityError:
        # Another process inserted the day's row first: the pass is theirs.
        return None
