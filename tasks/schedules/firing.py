"""Firing due schedules exactly once, however many processes tick.

A tick reads the schedules whose next_fire_at has come and, for each, moves next_fire_at
from the value it read to the following due time (Schedule.advance, a compare-and-set).
Only the process whose update matched owns that due time; it writes the Firing row (unique
per schedule and due time) and starts the run in the same transaction, so a crash leaves
either both or neither. What a firing starts is the caller's `start` (the seam's), which
raises Refused with a reason to record a skip (no access any more, invalid params).
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tasks.models import (
    Firing,
    FiringOutcome,
    MissedPolicy,
    OverlapPolicy,
    Schedule,
    Task,
)
from tasks.schedules import timetables

logger = logging.getLogger(__name__)

BATCH = 200
# The longest a tick waits before looking again, so a new or changed schedule is seen.
MAX_WAIT = 1.0


class Refused(Exception):
    """The seam would not start this firing's run; the message is the recorded reason."""


Start = Callable[[Schedule], Task]


def missed_after() -> timedelta:
    return timedelta(seconds=settings.EXECUTOR_SCHEDULE_MISSED_AFTER)


def tick(start: Start, *, now: datetime | None = None, worker: str = "") -> list[Firing]:
    """Fire every due schedule (and every queued firing whose last run ended) once."""
    now = now or timezone.now()
    fired = [firing for firing in release_queued(start) if firing]
    due = Schedule.objects.filter(paused=False, next_fire_at__lte=now).order_by("next_fire_at")
    for schedule in due[:BATCH]:
        try:
            firing = fire(schedule, start, now=now, worker=worker)
        except Exception:
            logger.exception("schedule %s: firing failed; will retry", schedule.pk)
            continue
        if firing is not None:
            fired.append(firing)
    return fired


def seconds_until_due(now: datetime | None = None) -> float:
    """How long the scheduler may sleep: until the next due time, at most MAX_WAIT."""
    now = now or timezone.now()
    upcoming = (
        Schedule.objects.filter(paused=False, next_fire_at__isnull=False)
        .order_by("next_fire_at")
        .values_list("next_fire_at", flat=True)
        .first()
    )
    if upcoming is None:
        return MAX_WAIT
    return max(0.0, min(MAX_WAIT, (upcoming - now).total_seconds()))


def _running(schedule: Schedule) -> Task | None:
    return Task.objects.active().filter(schedule=schedule).order_by("created_at").first()


def fire(schedule: Schedule, start: Start, *, now: datetime, worker: str = "") -> Firing | None:
    """Claim `schedule`'s due time and act on it; None when another process claimed it."""
    due = schedule.next_fire_at
    if due is None:
        return None
    missed = now - due > missed_after()
    following = timetables.following(schedule, now if missed else due)
    with transaction.atomic():
        if not schedule.advance(due, following):
            return None
        outcome, reason, task = _decide(schedule, start, missed=missed)
        return Firing.objects.create(
            schedule=schedule,
            due_at=due,
            fired_at=now,
            outcome=outcome,
            reason=reason,
            task=task,
            worker=worker,
        )


def _decide(schedule: Schedule, start: Start, *, missed: bool) -> tuple[str, str, Task | None]:
    if missed and schedule.missed == MissedPolicy.SKIP:
        return FiringOutcome.SKIPPED, "missed (the scheduler was not running): skipped", None
    running = _running(schedule)
    if running is not None and schedule.overlap == OverlapPolicy.SKIP:
        return FiringOutcome.SKIPPED, f"the previous run {running.short_id} is still going", None
    if running is not None and schedule.overlap == OverlapPolicy.QUEUE:
        if schedule.firings.filter(outcome=FiringOutcome.QUEUED).exists():
            return FiringOutcome.SKIPPED, "a run is already queued behind the one going", None
        return FiringOutcome.QUEUED, f"waits for run {running.short_id} to end", None
    try:
        task = start(schedule)
    except Refused as exc:
        return FiringOutcome.SKIPPED, str(exc), None
    reason = "missed (the scheduler was not running): run once" if missed else ""
    return FiringOutcome.RUN, reason, task


def release_queued(start: Start) -> list[Firing | None]:
    """Start the queued firings whose schedule has no run going any more."""
    released = []
    queued = Firing.objects.filter(
        outcome=FiringOutcome.QUEUED, schedule__paused=False
    ).select_related("schedule")
    for firing in queued[:BATCH]:
        if _running(firing.schedule) is not None:
            continue
        try:
            with transaction.atomic():
                try:
                    task = start(firing.schedule)
                except Refused as exc:
                    done = firing.record_skip(str(exc))
                else:
                    done = firing.record_run(task)
                if not done:
                    raise _Lost
        except _Lost:
            continue  # another process released it; this one's run is rolled back
        released.append(firing)
    return released


class _Lost(Exception):
    pass
