"""The Prometheus metrics, read from the database at each scrape.

A custom collector rather than counters kept in memory: runs are supervised by several
web processes and Celery workers, and the database is the one place that sees them all
(prometheus_client's multiprocess mode would only cover the processes of one machine).
Counters count the runs the history holds, so a purge lowers them; Prometheus takes a
lower value as a counter reset.
"""

from datetime import timedelta

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from tasks.models import FINISHED_STATUSES, Status, Task

# Run durations in seconds: from a quick script to the default one-hour timeout.
DURATION_BUCKETS = (0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600)


class HistoryCollector:
    """Yields the metric families of the run history (prometheus_client's collector
    protocol: an object with `collect`)."""

    def collect(self):
        yield from self._run_counters()
        yield self._durations()
        yield from self._queue()

    def _run_counters(self):
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
        rows = (
            Task.objects.order_by()
            .values("script", "status")
            .annotate(
                runs=Count("id"),
                started=Count("id", filter=Q(started_at__isnull=False)),
                log=Sum("log_bytes"),
                dropped=Sum("log_dropped_bytes"),
            )
        )
        per_script: dict[str, list[int]] = {}
        for row in rows:
            totals = per_script.setdefault(row["script"], [0, 0, 0])
            totals[0] += row["started"]
            totals[1] += row["log"] or 0
            totals[2] += row["dropped"] or 0
            if row["status"] in FINISHED_STATUSES:
                finished.add_metric([row["script"], row["status"]], row["runs"])
        for script, (runs, written, lost) in sorted(per_script.items()):
            started.add_metric([script], runs)
            log_bytes.add_metric([script], written)
            dropped.add_metric([script], lost)
        return started, finished, log_bytes, dropped

    def _durations(self):
        family = HistogramMetricFamily(
            "executor_run_duration_seconds",
            "How long finished runs took, by script.",
            labels=["script"],
        )
        buckets = {
            f"le_{index}": Count("id", filter=Q(duration__lte=timedelta(seconds=bound)))
            for index, bound in enumerate(DURATION_BUCKETS)
        }
        rows = (
            Task.objects.finished()
            .filter(duration__isnull=False)
            .order_by()
            .values("script")
            .annotate(runs=Count("id"), total=Sum("duration"), **buckets)
        )
        for row in sorted(rows, key=lambda row: row["script"]):
            cumulative = [
                (_bound(bound), row[f"le_{index}"]) for index, bound in enumerate(DURATION_BUCKETS)
            ]
            cumulative.append(("+Inf", row["runs"]))
            total = row["total"].total_seconds() if row["total"] else 0.0
            family.add_metric([row["script"]], cumulative, sum_value=total)
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
