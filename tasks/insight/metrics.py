"""The Prometheus metrics, read from the database at each scrape.

A custom collector rather than counters kept in memory: runs are supervised by several
web processes and Celery workers, and the database is the one place that sees them all
(prometheus_client's multiprocess mode would only cover the processes of one machine).
The counters of finished runs are the all-time figures per script and status
(`ScriptTotal`, tasks/models/figures.py: tens of rows, written as each run ends), so a
purge does not lower them; what is live (pending and running runs, their bytes so far)
is read from the history through its status index.
"""

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from tasks.models import ScriptTotal, Status, Task
from tasks.models.figures import BOUNDS, BUCKETS

# Run durations in seconds: the figures' buckets (a 1-2-5 series from 10 ms to 50,000 s).
DURATION_BUCKETS = BOUNDS


class HistoryCollector:
    """Yields the metric families of the run history (prometheus_client's collector
    protocol: an object with `collect`)."""

    def collect(self):
        totals = list(ScriptTotal.objects.order_by("script", "status"))
        yield from self._run_counters(totals)
        yield self._durations(totals)
        yield from self._queue()

    def _run_counters(self, totals):
        started = CounterMetricFamily(
            "executor_runs_started", "Runs that started, by script.", labels=["script"]
        )
        finished = CounterMetricFamily(
            "executor_runs_finished",
            "Runs that ended, by script and status.",
            labels=["script", "status"],
        )
        log_bytes = CounterMetricFamily(
            "executor_log_bytes", "Bytes of output the scripts wrote, by script.", labels=["script"]
        )
        dropped = CounterMetricFamily(
            "executor_log_dropped_bytes",
            "Bytes of output the per-run log cap dropped, by script.",
            labels=["script"],
        )
        per_script: dict[str, list[int]] = {}
        for total in totals:
            sums = per_script.setdefault(total.script, [0, 0, 0])
            sums[0] += total.started
            sums[1] += total.log_bytes
            sums[2] += total.log_dropped_bytes
            finished.add_metric([total.script, total.status], total.runs)
        # The runs still going have started (when running) and written bytes already.
        live = (
            Task.objects.active()
            .order_by()
            .values("script")
            .annotate(
                running=Count("id", filter=Q(status=Status.RUNNING)),
                written=Sum("log_bytes"),
                lost=Sum("log_dropped_bytes"),
            )
        )
        for row in live:
            sums = per_script.setdefault(row["script"], [0, 0, 0])
            sums[0] += row["running"]
            sums[1] += row["written"] or 0
            sums[2] += row["lost"] or 0
        for script, (runs, written, lost) in sorted(per_script.items()):
            started.add_metric([script], runs)
            log_bytes.add_metric([script], written)
            dropped.add_metric([script], lost)
        return started, finished, log_bytes, dropped

    def _durations(self, totals):
        family = HistogramMetricFamily(
            "executor_run_duration_seconds",
            "How long finished runs took, by script.",
            labels=["script"],
        )
        per_script: dict[str, tuple[list[int], list[float]]] = {}
        for total in totals:
            counts, seconds = per_script.setdefault(total.script, ([0] * len(BUCKETS), [0.0]))
            for index, runs in enumerate(total.buckets()):
                counts[index] += runs
            seconds[0] += total.duration_seconds
        for script, (counts, seconds) in sorted(per_script.items()):
            if not sum(counts):
                continue
            cumulative, running = [], 0
            for bound, runs in zip(DURATION_BUCKETS, counts, strict=False):
                running += runs
                cumulative.append((_bound(bound), running))
            cumulative.append(("+Inf", sum(counts)))
            family.add_metric([script], cumulative, sum_value=seconds[0])
        return family

    def _queue(self):
        waiting = GaugeMetricFamily(
            "executor_runs_pending", "Runs waiting for a worker, by script.", labels=["script"]
        )
        running = GaugeMetricFamily(
            "executor_runs_running", "Runs whose script is running, by script.", labels=["script"]
        )
        rows = (
            Task.objects.active()
            .order_by()
            .values("script", "status")
            .annotate(runs=Count("id"), oldest=Min("created_at"))
        )
        oldest = None
        for row in sorted(rows, key=lambda row: (row["script"], row["status"])):
            if row["status"] == Status.PENDING:
                waiting.add_metric([row["script"]], row["runs"])
                oldest = row["oldest"] if oldest is None else min(oldest, row["oldest"])
            else:
                running.add_metric([row["script"]], row["runs"])
        age = GaugeMetricFamily(
            "executor_oldest_pending_age_seconds",
            "Seconds the oldest pending run has waited (0 when none waits).",
        )
        age.add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0.0)
        return waiting, running, age


def _bound(seconds: float) -> str:
    return repr(float(seconds))


def exposition() -> bytes:
    """The metrics in the Prometheus text format, freshly read."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HistoryCollector())
    return generate_latest(registry)
