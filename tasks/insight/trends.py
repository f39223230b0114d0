"""A script's trends over a window: runs per day by status, durations and their p50/p95,
success rate, the commonest exception lines, peak memory.

The figures of finished runs come from the hourly aggregates (tasks/models/figures.py: a
90-day window reads at most 2,160 rows per status and user, however many runs it held);
only what is live or drawn one by one reads the history, through its indexes: the active
runs of the window and the newest successful runs' durations. Someone who sees only
their own runs (`access.sees_all_runs`) gets only their own figures. `bench/insight.py`
measures it at scale.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Max, Sum
from django.utils import timezone

from tasks import access
from tasks.models import ScriptException, ScriptHour, Status
from tasks.models.figures import BUCKETS, hour_of, hour_start, percentile

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


def _own(rows, user):
    """`rows` of figures, only `user`'s unless they see everybody's runs."""
    return rows if access.sees_all_runs(user) else rows.filter(user_pk=user.pk)


def script_trends(user, script: str, window: str = DEFAULT_WINDOW, now=None) -> Trends:
    """The trends of `script` over `window`, among the runs `user` may see.

    The window is whole UTC hours: from the hour `window` ago, up to now."""
    label, length, unit = WINDOWS[window]
    now = now or timezone.now()
    first = hour_of(now - length)
    since = hour_start(first)
    figures = _own(ScriptHour.objects.filter(script=script, hour__gte=first), user)
    buckets = [Bucket(start) for start in _bucket_starts(since, now, unit)]
    # Each bucket's first hour: an hour's row goes to the last bucket starting at or before it.
    firsts = [hour_of(bucket.start) for bucket in buckets]
    totals = {"runs": 0, Status.SUCCESS: 0, Status.FAILED: 0}
    rows = figures.order_by().values_list("hour", "status")
    for hour, status, runs, memory in rows.annotate(Sum("runs"), Max("peak_memory_kb")):
        totals["runs"] += runs
        if status in totals:
            totals[status] += runs
        bucket = buckets[max(0, bisect_right(firsts, hour) - 1)]
        bucket.counts[status] = bucket.counts.get(status, 0) + runs
        if memory is not None:
            bucket.peak_memory_kb = max(bucket.peak_memory_kb or 0, memory)
    successes = figures.filter(status=Status.SUCCESS).aggregate(
        **{name: Sum(name) for name in BUCKETS}
    )
    durations = [successes[name] or 0 for name in BUCKETS]
    # Live: the window's runs that have not ended yet, of every script and matched here:
    # given the script or the window, SQLite's planner walks the (script, created_at) or
    # (created_at) index through the whole window (114 ms at 1,000,000 runs) instead of
    # taking the (status, created_at) index to the few active runs.
    visible = access.visible_tasks(user)
    active = visible.active().order_by().values_list("script", "created_at")
    totals["runs"] += sum(1 for name, created in active if name == script and created >= since)
    visible = visible.filter(script=script)
    recent = (
        visible.filter(status=Status.SUCCESS, created_at__gte=since, duration__isnull=False)
        .order_by("-created_at")
        .values_list("created_at", "duration")
    )
    exceptions = (
        _own(ScriptException.objects.filter(script=script, hour__gte=first), user)
        .values("exception")
        .annotate(count=Sum("runs"))
        .order_by("-count", "exception")[:TOP_EXCEPTIONS]
    )
    return Trends(
        window=window,
        label=label,
        unit=unit,
        since=since,
        buckets=buckets,
        runs=totals["runs"],
        succeeded=totals[Status.SUCCESS],
        failed=totals[Status.FAILED],
        p50=percentile(durations, 0.50),
        p95=percentile(durations, 0.95),
        durations=list(reversed(recent[:MAX_DURATION_POINTS])),
        exceptions=[(row["exception"], row["count"]) for row in exceptions],
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
