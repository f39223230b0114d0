"""Firing due schedules exactly once, however many processes tick.

A tick reads the schedules whose next_fire_at has come and moves each one's next_fire_at
from the value it read to the following due time (a compare-and-set). Only the process
whose update matched owns that due time; it writes the Firing row (unique per schedule
and due time) and starts the run in the same transaction, so a crash leaves either both
or neither. What a firing starts is the caller's `start` (the seam's), which raises
Refused with a reason to record a skip (no access any more, invalid params).

A tick fires its due schedules together (`fire_batch`): one claim per due time shared
(ScheduleQuerySet.advance), the runs going and the queued firings read once, the runs
started by `start_many` and the Firing rows written with one INSERT, all in one
transaction. If that fails the batch is fired one schedule at a time (`fire`), so one
schedule that cannot fire does not hold back the others. Queued firings whose last run
ended are released the same way (`release_queued`), so a tick costs a fixed number of
queries however many schedules it fires.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tasks.models import (
    ClaimLost,
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
# Runs for many firings at once: for each schedule, its Task or the Refused for it.
StartMany = Callable[[Sequence[Schedule]], list[Task | Refused]]


def missed_after() -> timedelta:
    return timedelta(seconds=settings.EXECUTOR_SCHEDULE_MISSED_AFTER)


def tick(
    start: Start,
    *,
    start_many: StartMany | None = None,
    now: datetime | None = None,
    worker: str = "",
) -> list[Firing]:
    """Fire every due schedule (and every queued firing whose last run ended) once."""
    now = now or timezone.now()
    fired = release_queued(start, start_many)
    due = list(
        Schedule.objects.filter(paused=False, next_fire_at__lte=now)
        .select_related("owner")
        .order_by("next_fire_at", "pk")[:BATCH]
    )
    if not due:
        return fired
    _share_owners(due)
    try:
        return fired + fire_batch(due, start_many or _one_by_one(start), now=now, worker=worker)
    except Exception:
        logger.exception("firing %d schedules together failed; firing them one by one", len(due))
    for schedule in due:
        try:
            firing = fire(schedule, start, now=now, worker=worker)
        except Exception:
            logger.exception("schedule %s: firing failed; will retry", schedule.pk)
            continue
        if firing is not None:
            fired.append(firing)
    return fired


def _share_owners(schedules: Sequence[Schedule]) -> None:
    """One user object per owner, so what access reads of them (groups, permissions) is
    read once per tick, not once per schedule."""
    owners: dict[int, object] = {}
    for schedule in schedules:
        schedule.owner = owners.setdefault(schedule.owner_id, schedule.owner)  # type: ignore[assignment]


def _one_by_one(start: Start) -> StartMany:
    def start_many(schedules: Sequence[Schedule]) -> list[Task | Refused]:
        started: list[Task | Refused] = []
        for schedule in schedules:
            try:
                started.append(start(schedule))
            except Refused as exc:
                started.append(exc)
        return started

    return start_many


def fire_batch(
    due: Sequence[Schedule], start_many: StartMany, *, now: datetime, worker: str = ""
) -> list[Firing]:
    """Claim the due times of `due` that no other process has claimed, and act on them,
    in one transaction; return the Firing rows written."""
    missed: dict[int, bool] = {}
    groups: defaultdict[tuple[datetime, datetime | None], list[Schedule]] = defaultdict(list)
    for schedule in due:
        due_at = schedule.next_fire_at
        if due_at is None:
            continue
        missed[schedule.pk] = now - due_at > missed_after()
        following = timetables.following(schedule, now if missed[schedule.pk] else due_at)
        groups[(due_at, following)].append(schedule)
    with transaction.atomic():
        claimed: list[tuple[Schedule, datetime]] = []
        for (due_at, following), members in groups.items():
            ids = set(
                Schedule.objects.filter(pk__in=[s.pk for s in members]).advance(due_at, following)
            )
            claimed += [(s, due_at) for s in members if s.pk in ids]
        running = _running_of([s for s, _ in claimed if s.overlap != OverlapPolicy.PARALLEL])
        queued = set(
            Firing.objects.filter(
                schedule__in=[s.pk for s, _ in claimed if s.pk in running],
                outcome=FiringOutcome.QUEUED,
            ).values_list("schedule_id", flat=True)
        )
        held = {
            s.pk: _held(s, missed[s.pk], running.get(s.pk), lambda s=s: s.pk in queued)
            for s, _ in claimed
        }
        to_start = [s for s, _ in claimed if held[s.pk] is None]
        started = dict(
            zip((s.pk for s in to_start), start_many(to_start) if to_start else [], strict=True)
        )
        firings = []
        for schedule, due_at in claimed:
            outcome, reason, task = held[schedule.pk] or _ran(
                started[schedule.pk], missed[schedule.pk]
            )
            firings.append(
                Firing(
                    schedule=schedule,
                    due_at=due_at,
                    fired_at=now,
                    outcome=outcome,
                    reason=reason,
                    task=task,
                    worker=worker,
                )
            )
        return Firing.objects.bulk_create(firings)


def _running_of(schedules: Sequence[Schedule]) -> dict[int, Task]:
    """The oldest run going of each of `schedules`, by schedule id (one query)."""
    if not schedules:
        return {}
    going = (
        Task.objects.active()
        .filter(schedule__in=[s.pk for s in schedules])
        .order_by("-created_at")
        .only("id", "schedule_id", "created_at")
    )
    return {task.schedule_id: task for task in going}  # the oldest is the last one written


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


Verdict = tuple[str, str, Task | None]


def _decide(schedule: Schedule, start: Start, *, missed: bool) -> Verdict:
    def has_queued() -> bool:
        return schedule.firings.filter(outcome=FiringOutcome.QUEUED).exists()

    held = _held(schedule, missed, _running_of([schedule]).get(schedule.pk), has_queued)
    if held is not None:
        return held
    try:
        return _ran(start(schedule), missed)
    except Refused as exc:
        return _ran(exc, missed)


def _held(
    schedule: Schedule, missed: bool, running: Task | None, has_queued: Callable[[], bool]
) -> Verdict | None:
    """What the policies make of a firing that does not start a run now, or None."""
    if missed and schedule.missed == MissedPolicy.SKIP:
        return FiringOutcome.SKIPPED, "missed (the scheduler was not running): skipped", None
    if running is not None and schedule.overlap == OverlapPolicy.SKIP:
        return FiringOutcome.SKIPPED, f"the previous run {running.short_id} is still going", None
    if running is not None and schedule.overlap == OverlapPolicy.QUEUE:
        if has_queued():
            return FiringOutcome.SKIPPED, "a run is already queued behind the one going", None
        return FiringOutcome.QUEUED, f"waits for run {running.short_id} to end", None
    return None


def _ran(started: Task | Refused, missed: bool) -> Verdict:
    if isinstance(started, Refused):
        return FiringOutcome.SKIPPED, str(started), None
    reason = "missed (the scheduler was not running): run once" if missed else ""
    return FiringOutcome.RUN, reason, started


def release_queued(start: Start, start_many: StartMany | None = None) -> list[Firing]:
    """Start the queued firings whose schedule has no run going any more.

    A fixed number of queries however many are queued: the queued firings and the runs
    going are read once, the runs started together (`start_many`) and the firings
    settled with one UPDATE, in one transaction. If that fails they are released one at
    a time, so one that cannot start does not hold back the others."""
    queued = (
        Firing.objects.filter(outcome=FiringOutcome.QUEUED, schedule__paused=False)
        .select_related("schedule__owner")
        .order_by("due_at", "pk")[:BATCH]
    )
    oldest: dict[int, Firing] = {}
    for queued_firing in queued:
        # Only one run per schedule is released at a time (the policy queues one).
        oldest.setdefault(queued_firing.schedule_id, queued_firing)
    running = _running_of([f.schedule for f in oldest.values()]) if oldest else {}
    free = [f for f in oldest.values() if f.schedule_id not in running]
    if not free:
        return []
    _share_owners([f.schedule for f in free])
    try:
        return _release_batch(free, start_many or _one_by_one(start))
    except Exception:
        logger.exception("releasing %d queued firings together failed; one by one", len(free))
    released = []
    for queued_firing in free:
        try:
            if _release_one(queued_firing, start):
                released.append(queued_firing)
        except Exception:
            logger.exception("firing %s: release failed; will retry", queued_firing.pk)
    return released


def _release_batch(free: Sequence[Firing], start_many: StartMany) -> list[Firing]:
    with transaction.atomic():
        ids = set(Firing.objects.filter(pk__in=[f.pk for f in free]).lock_queued())
        mine = [f for f in free if f.pk in ids]  # the rest another process released
        if not mine:
            return []
        started = start_many([f.schedule for f in mine])
        results = zip(mine, started, strict=True)
        verdicts = {f.pk: _ran(result, missed=False) for f, result in results}
        if Firing.objects.settle_queued(verdicts) != len(verdicts):
            raise ClaimLost(f"locked {len(verdicts)} queued firings, settled fewer")
    for queued_firing in mine:
        queued_firing.outcome, queued_firing.reason, queued_firing.task = verdicts[queued_firing.pk]
    return mine


def _release_one(queued_firing: Firing, start: Start) -> bool:
    try:
        with transaction.atomic():
            try:
                task = start(queued_firing.schedule)
            except Refused as exc:
                done = queued_firing.record_skip(str(exc))
            else:
                done = queued_firing.record_run(task)
            if not done:
                raise _Lost
    except _Lost:
        return False  # another process released it; this one's run is rolled back
    return True


class _Lost(Exception):
    pass
