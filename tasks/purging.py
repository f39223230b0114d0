"""Delete finished runs and their logs in small batches, each its own short transaction.

A purge of a hundred thousand runs must not hold the database: SQLite has one writer at a
time, so one long DELETE would stall every run's log writes and every sign-in until it
ended. Batches are cut by run count and by log bytes, so a batch of huge logs stays as
short as a batch of tiny ones. Memory stays bounded: the runs are walked by primary key,
one batch of ids at a time, never loaded all at once.

Pending and running runs are never deleted: the status is checked again inside each
batch's transaction, not only when the batch was chosen.
"""

import time
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, F, Sum

from tasks.models import FINISHED_STATUSES, Task

BATCH_RUNS = 500
BATCH_LOG_BYTES = 16 * 1024 * 1024


@dataclass
class PurgeResult:
    """What a purge removed (or, for a dry run, would remove)."""

    runs: int = 0
    log_bytes: int = 0  # bytes of stored output (what the log cap kept)
    kept_active: int = 0  # selected runs left alone because they are pending or running
    dry_run: bool = False
    complete: bool = True  # False when a deadline stopped it early; run it again to go on
    batches: int = 0
    longest_transaction: float = 0.0  # seconds: the longest single write transaction
    # (script, status) -> [runs, log bytes]
    breakdown: dict = field(default_factory=dict)

    def add(self, script, status, runs, log_bytes):
        self.runs += runs
        self.log_bytes += log_bytes
        totals = self.breakdown.setdefault((script, status), [0, 0])
        totals[0] += runs
        totals[1] += log_bytes


def stored_bytes():
    """The bytes a run's LogChunk rows hold: what it wrote minus what the cap dropped.
    Both counters are written in the same transaction as the chunks."""
    return F("log_bytes") - F("log_dropped_bytes")


def count(tasks):
    """What deleting `tasks` would remove, in two aggregate queries."""
    result = PurgeResult(dry_run=True, kept_active=tasks.active().count())
    rows = (
        tasks.finished()
        .order_by()
        .values_list("script", "status")
        .annotate(runs=Count("pk"), stored=Sum(stored_bytes()))
    )
    for script, status, runs, stored in rows:
        result.add(script, status, runs, stored or 0)
    return result


def delete(tasks, *, batch_runs=None, batch_bytes=None, deadline=None):
    """Delete the finished runs among `tasks` with their logs; return a PurgeResult.

    `deadline` (a time.monotonic() value) stops after the batch in progress once passed,
    with `complete` False: the housekeeping thread purges a little at a time that way.
    """
    batch_runs = batch_runs or BATCH_RUNS
    batch_bytes = batch_bytes or BATCH_LOG_BYTES
    result = PurgeResult(kept_active=tasks.active().count())
    candidates = tasks.finished().order_by("pk").values_list("pk", "log_bytes", "log_dropped_bytes")
    last = None
    while True:
        # Walked by primary key from where the last batch ended: memory stays one batch.
        page = candidates if last is None else candidates.filter(pk__gt=last)
        rows = list(page[:batch_runs])
        if not rows:
            break
        batch, size = [], 0
        for pk, written, dropped in rows:
            if batch and size + written - dropped > batch_bytes:
                break
            batch.append(pk)
            size += written - dropped
        last = batch[-1]
        _delete_batch(batch, result)
        if deadline is not None and time.monotonic() >= deadline:
            result.complete = not tasks.finished().filter(pk__gt=last).exists()
            break
    return result


def _delete_batch(pks, result):
    started = time.monotonic()
    with transaction.atomic():
        # Checked again under the write lock: whatever the batch was chosen from, a run
        # that is pending or running now is left alone.
        doomed = (
            Task.objects.filter(pk__in=pks, status__in=FINISHED_STATUSES)
            .order_by()
            .values_list("pk", "script", "status", stored_bytes())
        )
        totals = Counter()
        runs = Counter()
        ids = []
        for pk, script, status, stored in doomed:
            ids.append(pk)
            runs[script, status] += 1
            totals[script, status] += stored
        if ids:
            # Django's collector deletes the LogChunk rows with one statement per batch
            # of ids and clears `rerun_of` on later runs that point here.
            Task.objects.filter(pk__in=ids).only("pk").delete()
    elapsed = time.monotonic() - started
    result.batches += 1
    result.longest_transaction = max(result.longest_transaction, elapsed)
    for key, number in runs.items():
        result.add(*key, number, totals[key])
