"""A script's trends over a window: runs per day by status, durations and their p50/p95,
success rate, the commonest exception lines, peak memory.

Every figure is one aggregate query on the history, served by the (script, created_at)
index; `bench/insight.py` measures them at scale. The caller passes the runs a user may
see (`access.visible_tasks`), so nobody learns from a trend what the history hides.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max
from django.db.models.functions import Lower, TruncDay, TruncHour
from django.utils import timezone

from tasks.models import Status

# name: (label, length, bucket unit)
WINDOWS = {
    "24h": ("24 hours", timedelta(hours=24), "hour"),
    "7d": ("7 days", timedelta(days=7), "day"),
    "30d": ("30 days", timedelta(days=30), "day"),
    "90d": ("90 days", timedelta(days=90), "day"),
}
DEFAULT_WINDOW = "7d"
# Successful runs drawn one by one on the duration chart (the newest); p50 and p95 count all.
MAX_DURATION_POINTS = 300
TOP_EXCEPTIONS = 10
BAR_STATUSES = (Status.SUCCESS, Status.FAILED, Status.CANCELLED)


@dataclass
class Bucket:
    """One bar: the runs created in [start, start + unit), by status."""

    start: datetime
    counts: dict[str, int] = field(default_factory=dict)
    peak_memory_kb: int | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Trends:
    window: str
    label: str
    unit: str
    since: datetime
    buckets: list[Bucket]
    runs: int
    succeeded: int
    failed: int
    p50: timedelta | None
    p95: timedelta | None
    durations: list[tuple[datetime, timedelta]]
    exceptions: list[tuple[str, int]]

    @property
    def success_rate(self) -> float | None:
        """Successes among the runs that succeeded or failed (cancelled ones say nothing
        of the script), in percent; None when none did either."""
        ended = self.succeeded + self.failed
        return 100 * self.succeeded / ended if ended else None


def _truncate(moment: datetime, unit: str) -> datetime:
    moment = timezone.localtime(moment)
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if unit == "day" else moment


def _bucket_starts(since: datetime, now: datetime, unit: str) -> list[datetime]:
    step = timedelta(hours=1) if unit == "hour" else timedelta(days=1)
    starts, moment = [], _truncate(since, unit)
    while moment <= now:
        starts.append(moment)
        # Day by day in local time: a step across a DST change must stay at midnight.
        moment = _truncate(moment + step + timedelta(hours=2 if unit == "day" else 0), unit)
    return starts


def percentile(runs, fraction: float, count: int) -> timedelta | None:
    """The nearest-rank percentile of the runs' durations: the value at rank
    ceil(fraction * count) in ascending order (one indexed query, no rows loaded)."""
    if count == 0:
        return None
    rank = max(1, math.ceil(fraction * count))
    found = runs.order_by("duration").values_list("duration", flat=True)[rank - 1 : rank]
    return next(iter(found), None)


def script_trends(visible, script: str, window: str = DEFAULT_WINDOW, now=None) -> Trends:
    """The trends of `script` among the runs `visible` (a Task queryset) over `window`."""
    label, length, unit = WINDOWS[window]
    now = now or timezone.now()
    since = now - length
    runs = visible.filter(script=script, created_at__gte=since).order_by()
    buckets = {start: Bucket(start) for start in _bucket_starts(since, now, unit)}
    trunc = TruncHour if unit == "hour" else TruncDay
    # Grouped by Lower(status), the same value, rather than by the column: grouped by the
    # column, SQLite's planner walks the (script, status) index through every run the
    # script ever had (3.5 s at 1,000,000 runs) instead of the window's range of the
    # (script, created_at) index.
    per_bucket = (
        runs.annotate(bucket=trunc("created_at"), state=Lower("status"))
        .values("bucket", "state")
        .annotate(runs=Count("id"), memory=Max("peak_memory_kb"))
    )
    # The window's totals come from the same rows: one scan of the window fewer.
    totals = {"runs": 0, Status.SUCCESS: 0, Status.FAILED: 0}
    for row in per_bucket:
        row["status"] = row["state"]
        totals["runs"] += row["runs"]
        if row["status"] in totals:
            totals[row["status"]] += row["runs"]
        bucket = buckets.get(_truncate(row["bucket"], unit))
        if bucket is None:  # the partial first bucket's runs before `since` were filtered
            continue
        if row["status"] in BAR_STATUSES:
            bucket.counts[row["status"]] = row["runs"]
        if row["memory"] is not None:
            bucket.peak_memory_kb = max(bucket.peak_memory_kb or 0, row["memory"])
    successes = runs.filter(status=Status.SUCCESS, duration__isnull=False)
    # A successful run always has its duration (Task.finish writes both at once).
    timed = totals[Status.SUCCESS]
    recent = successes.order_by("-created_at").values_list("created_at", "duration")
    exceptions = (
        runs.exclude(exception="")
        .values("exception")
        .annotate(runs=Count("id"))
        .order_by("-runs", "exception")[:TOP_EXCEPTIONS]
    )
    return Trends(
        window=window,
        label=label,
        unit=unit,
        since=since,
        buckets=list(buckets.values()),
        runs=totals["runs"],
        succeeded=totals[Status.SUCCESS],
        failed=totals[Status.FAILED],
        p50=percentile(successes, 0.50, timed),
        p95=percentile(successes, 0.95, timed),
        durations=list(reversed(recent[:MAX_DURATION_POINTS])),
        exceptions=[(row["exception"], row["runs"]) for row in exceptions],
    )


@dataclass
class Glance:
    """A script at a glance, for the dashboard's list: its last run's status and the
    durations of its recent successful runs (oldest first)."""

    last_status: str | None
    durations: list[float]


def glances(visible, keys, points: int = 20) -> dict[str, Glance]:
    """Each script's Glance: two small indexed queries per script (a dashboard lists tens)."""
    found = {}
    for key in keys:
        runs = visible.filter(script=key).order_by("-created_at")
        last = runs.values_list("status", flat=True).first()
        recent = runs.filter(status=Status.SUCCESS, duration__isnull=False).values_list(
            "duration", flat=True
        )[:points]
        found[key] = Glance(last, [value.total_seconds() for value in reversed(recent)])
    return found
