"""Figures of the finished runs, pre-aggregated: what the script page's trends and
`/metrics` read instead of walking the history.

- `ScriptHour`: the runs of one script, created in one UTC hour by one user, that ended
  with one status: how many, how many started, the sum and a bucket histogram of their
  durations, the largest peak memory, the bytes they wrote and the bytes the cap dropped.
  An hour rather than a day: the 24-hour window draws hourly bars, and days in the site's
  time zone (`TIME_ZONE`) are sums of whole UTC hours. A user rather than all: a user who
  sees only their own runs sees only their own figures.
- `ScriptTotal`: the same figures per script and status over all time, for `/metrics`
  (a scrape then reads tens of rows, not every hour of every script).
- `ScriptException`: the runs per script, UTC hour, user and exception line.

They are written by the verbs that end a run (`Task.finish`, `interrupt_stale`) in the
transaction of the run's end, through `count_finished`: one INSERT ... ON CONFLICT DO
UPDATE per row, which adds to the row when it is there (the unique constraint decides;
correct on SQLite, whose writers take turns, and on PostgreSQL). `rebuild` recomputes them from the
history (`manage.py rebuild_insight`, and migration 0014).

They are history figures: a purge leaves them as they are, so the trends reach further
back than the retention policy and the Prometheus counters never go down. A rebuild
recomputes them from the runs the history still holds, and so forgets the purged ones.

Durations go into log-spaced buckets (a 1-2-5 series from 10 ms to 50,000 s, and one
above): p50 and p95 are estimated within the bucket where their rank falls
(`percentile`), and the buckets are the Prometheus histogram's.
"""

import math
from bisect import bisect_left
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections, models, router, transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncHour

from tasks.models.choices import FINISHED_STATUSES

# Upper bounds in seconds: bucket i holds durations in (BOUNDS[i-1], BOUNDS[i]]; the last
# bucket, past the last bound, holds the longer ones.
BOUNDS = tuple(mantissa * 10.0**exponent for exponent in range(-2, 5) for mantissa in (1, 2, 5))
BUCKETS = tuple(f"d{index:02d}" for index in range(len(BOUNDS) + 1))
_BOUNDS_US = tuple(round(bound * 1_000_000) for bound in BOUNDS)
# What count_finished reads of the run it counts.
ENDED_FIELDS = (
    "script",
    "user_id",
    "status",
    "created_at",
    "started_at",
    "duration",
    "peak_memory_kb",
    "log_bytes",
    "log_dropped_bytes",
    "exception",
)


class Figures(models.Model):
    """The figures both grains share."""

    script = models.CharField(max_length=100)
    status = models.CharField(max_length=10)
    runs = models.PositiveIntegerField(default=0)
    started = models.PositiveIntegerField(default=0, help_text="Runs whose script started.")
    timed = models.PositiveIntegerField(default=0, help_text="Runs with a duration.")
    duration_seconds = models.FloatField(default=0, help_text="The sum of their durations.")
    peak_memory_kb = models.PositiveBigIntegerField(null=True, blank=True)
    log_bytes = models.PositiveBigIntegerField(default=0)
    log_dropped_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        abstract = True

    def buckets(self) -> list[int]:
        return [getattr(self, name) for name in BUCKETS]


# One counter per duration bucket on both grains: generated, the list is long and regular.
for _name in BUCKETS:
    Figures.add_to_class(_name, models.PositiveIntegerField(default=0))


class ScriptHour(Figures):
    # An integer (hours since 1970-01-01 00:00 UTC, `hour_of`) rather than a datetime: a
    # 90-day window reads thousands of these, and a timestamp column costs a conversion per
    # row (SQLite returns text) where an integer costs none.
    hour = models.PositiveIntegerField(help_text="The UTC hour the runs were created in.")
    # The runs' user's id, 0 for none. Not a foreign key: a deleted user's figures stay
    # (their runs stay too, visible to those who see everybody's).
    user_pk = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["script", "hour", "user_pk", "status"], name="scripthour_key"
            )
        ]

    def __str__(self):
        return f"{self.script} {hour_start(self.hour):%Y-%m-%d %H}h: {self.runs} {self.status}"


class ScriptTotal(Figures):
    class Meta:
        constraints = [models.UniqueConstraint(fields=["script", "status"], name="scripttotal_key")]

    def __str__(self):
        return f"{self.script}: {self.runs} {self.status}"


class ScriptException(models.Model):
    script = models.CharField(max_length=100)
    hour = models.PositiveIntegerField(help_text="As ScriptHour's.")
    user_pk = models.BigIntegerField(default=0)
    exception = models.CharField(max_length=500)
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["script", "hour", "user_pk", "exception"], name="scriptexception_key"
            )
        ]

    def __str__(self):
        return f"{self.script} {hour_start(self.hour):%Y-%m-%d %H}h: {self.runs} {self.exception}"


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def hour_of(moment: datetime) -> int:
    """The hour `moment` falls in, as hours since the epoch (UTC)."""
    return (moment - EPOCH) // HOUR


def hour_start(hour: int) -> datetime:
    return EPOCH + hour * HOUR


def bucket_of(duration: timedelta) -> str:
    """The name of the bucket counting `duration`."""
    return BUCKETS[bisect_left(_BOUNDS_US, duration // timedelta(microseconds=1))]


def _upsert(model, key: dict[str, Any], increments: dict[str, int | float], peak) -> None:
    """Add `increments` to the row of `model` named by `key`, creating it if need be.

    One INSERT ... ON CONFLICT DO UPDATE (SQLite 3.24+, PostgreSQL 9.5+; the conflict is
    on the model's unique constraint, `key`'s fields): the database decides between the
    two, also when another process inserts the row at the same moment. The ORM has no
    upsert that adds to a column, and its UPDATE with F() expressions (then an INSERT in
    a savepoint for a new row) cost every run's end three statements and most of a
    millisecond of building them; the statement is written here, from the model's own
    table and column names, with every value a parameter."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    table = quote(meta.db_table)
    values: dict[str, Any] = {
        field.name: field.get_default() for field in meta.concrete_fields if not field.primary_key
    }
    values.update(key, **increments)
    column = {name: quote(meta.get_field(name).column) for name in values}
    changes = [
        f"{column[name]} = {table}.{column[name]} + excluded.{column[name]}" for name in increments
    ]
    if peak is not None:
        values["peak_memory_kb"] = peak
        # The larger of the two, where the row had none yet: the new one.
        larger = "MAX" if connection.vendor == "sqlite" else "GREATEST"
        peak_column = column["peak_memory_kb"]
        changes.append(
            f"{peak_column} = {larger}(COALESCE({table}.{peak_column}, excluded.{peak_column}), "
            f"excluded.{peak_column})"
        )
    params = [
        meta.get_field(name).get_db_prep_save(value, connection) for name, value in values.items()
    ]
    statement = (
        f"INSERT INTO {table} ({', '.join(column[name] for name in values)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(values))}) "
        f"ON CONFLICT ({', '.join(column[name] for name in key)}) "
        f"DO UPDATE SET {', '.join(changes)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def count_finished(ended: dict[str, Any]) -> None:
    """Count one run that just ended (`ended`: its ENDED_FIELDS) into the figures. Call it
    inside the transaction that ended it."""
    increments: dict[str, int | float] = {
        "runs": 1,
        "started": int(ended["started_at"] is not None),
        "log_bytes": ended["log_bytes"],
        "log_dropped_bytes": ended["log_dropped_bytes"],
    }
    if ended["duration"] is not None:
        increments.update(
            timed=1,
            duration_seconds=ended["duration"].total_seconds(),
            **{bucket_of(ended["duration"]): 1},
        )
    hour, user_pk = hour_of(ended["created_at"]), ended["user_id"] or 0
    script, status, peak = ended["script"], ended["status"], ended["peak_memory_kb"]
    key = {"script": script, "hour": hour, "user_pk": user_pk}
    _upsert(ScriptHour, {**key, "status": status}, increments, peak)
    _upsert(ScriptTotal, {"script": script, "status": status}, increments, peak)
    if ended["exception"]:
        _upsert(ScriptException, {**key, "exception": ended["exception"]}, {"runs": 1}, None)


def _aggregates() -> dict[str, Any]:
    """The figures of a group of finished runs, as aggregate expressions."""
    found: dict[str, Any] = {
        "runs": Count("id"),
        "started": Count("id", filter=Q(started_at__isnull=False)),
        "timed": Count("id", filter=Q(duration__isnull=False)),
        "total": Sum("duration"),
        "peak": Max("peak_memory_kb"),
        "written": Sum("log_bytes"),
        "dropped": Sum("log_dropped_bytes"),
    }
    lower = None
    for name, bound in zip(BUCKETS, [*_BOUNDS_US, None], strict=True):
        within = Q(duration__isnull=False)
        if lower is not None:
            within &= Q(duration__gt=timedelta(microseconds=lower))
        if bound is not None:
            within &= Q(duration__lte=timedelta(microseconds=bound))
        found[name] = Count("id", filter=within)
        lower = bound
    return found


def _row(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "runs": values["runs"],
        "started": values["started"],
        "timed": values["timed"],
        "duration_seconds": values["total"].total_seconds() if values["total"] else 0.0,
        "peak_memory_kb": values["peak"],
        "log_bytes": values["written"] or 0,
        "log_dropped_bytes": values["dropped"] or 0,
        **{name: values[name] for name in BUCKETS},
    }


def rebuild(task_model, hour_model, total_model, exception_model, since=None) -> int:
    """Recompute the figures from the finished runs of `task_model` (the models are
    parameters so that a data migration passes its historical ones); with `since` (an
    aware datetime), only the hours from `since`'s hour on, keeping the older ones (the
    totals are then the kept hours' plus the rebuilt). One transaction: a reader sees the
    old figures or the new. Returns how many runs were counted."""
    finished = task_model.objects.filter(status__in=FINISHED_STATUSES).order_by()
    with transaction.atomic():
        hours = hour_model.objects.all()
        exceptions = exception_model.objects.all()
        if since is not None:
            first = hour_of(since)
            finished = finished.filter(created_at__gte=hour_start(first))
            hours, exceptions = hours.filter(hour__gte=first), exceptions.filter(hour__gte=first)
        hours.delete()
        exceptions.delete()
        rows = (
            finished.annotate(at=TruncHour("created_at", tzinfo=UTC))
            .values("script", "at", "user_id", "status")
            .annotate(**_aggregates())
        )
        counted = 0
        batch = []
        for values in rows.iterator(chunk_size=2000):
            counted += values["runs"]
            batch.append(
                hour_model(
                    script=values["script"],
                    hour=hour_of(values["at"]),
                    user_pk=values["user_id"] or 0,
                    status=values["status"],
                    **_row(values),
                )
            )
            if len(batch) >= 2000:
                hour_model.objects.bulk_create(batch)
                batch = []
        hour_model.objects.bulk_create(batch)
        lines = (
            finished.exclude(exception="")
            .annotate(at=TruncHour("created_at", tzinfo=UTC))
            .values("script", "at", "user_id", "exception")
            .annotate(count=Count("id"))
        )
        exception_model.objects.bulk_create(
            (
                exception_model(
                    script=values["script"],
                    hour=hour_of(values["at"]),
                    user_pk=values["user_id"] or 0,
                    exception=values["exception"],
                    runs=values["count"],
                )
                for values in lines.iterator(chunk_size=2000)
            ),
            batch_size=2000,
        )
        total_model.objects.all().delete()
        summed = {
            name: Sum(name) for name in ("runs", "started", "timed", "duration_seconds", *BUCKETS)
        }
        totals = (
            hour_model.objects.order_by()
            .values("script", "status")
            .annotate(
                **summed,
                peak=Max("peak_memory_kb"),
                written=Sum("log_bytes"),
                dropped=Sum("log_dropped_bytes"),
            )
        )
        total_model.objects.bulk_create(
            total_model(
                script=values["script"],
                status=values["status"],
                peak_memory_kb=values["peak"],
                log_bytes=values["written"],
                log_dropped_bytes=values["dropped"],
                **{name: values[name] for name in summed},
            )
            for values in totals
        )
    return counted


def percentile(buckets: list[int], fraction: float) -> timedelta | None:
    """The nearest-rank percentile of the durations counted in `buckets`, estimated: the
    rank ceil(fraction * count) is found in its bucket, and placed between the bucket's
    bounds as far as its place among the bucket's runs (the last run of a bucket at its
    upper bound). None when the buckets are empty."""
    count = sum(buckets)
    if count == 0:
        return None
    rank = max(1, math.ceil(fraction * count))
    below = 0
    for index, runs in enumerate(buckets):
        if below + runs >= rank:
            lower = BOUNDS[index - 1] if index else 0.0
            if index == len(BOUNDS):
                return timedelta(seconds=lower)
            upper = BOUNDS[index]
            return timedelta(seconds=lower + (upper - lower) * (rank - below) / runs)
        below += runs
    return None  # pragma: no cover - the ranks add up to count
