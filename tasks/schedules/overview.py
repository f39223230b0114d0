"""A schedule as its page shows it: the timetable in words, the next due times in its own
zone, its last run, and what its recent firings skipped and why."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from tasks.models import Firing, FiringOutcome, Schedule, Task
from tasks.schedules import timetables

# How far back the skips since the last run are counted.
RECENT_FIRINGS = 100
# The recorded reasons (tasks/schedules/firing.py) by their start, in a few words.
SKIP_LABELS = (
    ("the previous run", "still running"),
    ("a run is already queued", "a run was already queued"),
    ("missed", "missed while the scheduler was not running"),
)


@dataclass
class Upcoming:
    at: datetime
    local: str


@dataclass
class Overview:
    schedule: Schedule
    timetable: str
    upcoming: list[Upcoming]
    last_run: Task | None
    skips: list[tuple[str, int]] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return sum(count for _, count in self.skips)

    @property
    def version(self) -> str:
        """What the list shows of it, in short: a live page redraws it when this changes."""
        schedule, run = self.schedule, self.last_run
        return "|".join(
            str(part)
            for part in (
                schedule.updated_at.timestamp(),
                schedule.paused,
                schedule.next_fire_at and schedule.next_fire_at.timestamp(),
                run and run.pk,
                run and run.status,
                self.skips,
            )
        )


def skip_label(reason: str) -> str:
    for start, label in SKIP_LABELS:
        if reason.startswith(start):
            return label
    return reason


def local_times(schedule: Schedule, moments: list[datetime]) -> list[Upcoming]:
    """Due times in the schedule's zone, as people there read them."""
    try:
        zone = timetables.zone(schedule.timezone)
    except timetables.TimetableError:
        return [Upcoming(moment, f"{moment:%a %Y-%m-%d %H:%M:%S} UTC") for moment in moments]
    return [
        Upcoming(moment, f"{moment.astimezone(zone):%a %Y-%m-%d %H:%M:%S %Z}") for moment in moments
    ]


def upcoming(schedule: Schedule, count: int = 5) -> list[Upcoming]:
    """The next `count` due times of a saved or unsaved schedule (none while paused)."""
    if schedule.paused:
        return []
    return local_times(schedule, timetables.upcoming(schedule, timezone.now(), count))


def skips_since_last_run(schedule: Schedule) -> list[tuple[str, int]]:
    """(reason in a few words, how many times) for the firings skipped since its last run."""
    counted: Counter[str] = Counter()
    for outcome, reason in schedule.firings.order_by("-due_at").values_list("outcome", "reason")[
        :RECENT_FIRINGS
    ]:
        if outcome == FiringOutcome.RUN:
            break
        if outcome == FiringOutcome.SKIPPED:
            counted[skip_label(reason)] += 1
    return counted.most_common()


def overviews(schedules: QuerySet[Schedule]) -> list[Overview]:
    """Each schedule's overview, in three queries for the whole list (its page polls for
    it every two seconds) plus one for each schedule whose latest firing was no run."""
    last_run = Task.objects.filter(schedule=OuterRef("pk")).order_by("-created_at", "-id")
    last_firing = Firing.objects.filter(schedule=OuterRef("pk")).order_by("-due_at")
    listed = list(
        schedules.annotate(
            last_run_pk=Subquery(last_run.values("pk")[:1]),
            last_outcome=Subquery(last_firing.values("outcome")[:1]),
        )
    )
    runs = Task.objects.in_bulk([s.last_run_pk for s in listed if s.last_run_pk])
    return [
        Overview(
            schedule=schedule,
            timetable=timetables.describe(schedule),
            upcoming=upcoming(schedule),
            last_run=runs.get(schedule.last_run_pk),
            skips=(
                skips_since_last_run(schedule)
                if schedule.last_outcome not in (None, FiringOutcome.RUN)
                else []
            ),
        )
        for schedule in listed
    ]
