"""Delete finished runs and their logs in small batches, each its own short transaction.

A purge of a hundred thousand runs must not hold the database: SQLite has one writer at a
time, so one long DELETE would stall every run's log writes and every sign-in until it
ended. Batches are cut by run count and by log bytes, so a batch of huge logs stays as
short as a batch of tiny ones. Memory stays bounded: the runs are taken oldest first, one
batch of ids at a time, never loaded all at once.

Pending and running runs are never deleted, nor pinned ones (`Task.keep`): the status and
the pin are checked again inside each batch's transaction, not only when the batch was
chosen.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Sum

from tasks.models import AuditAction, AuditEvent, Status, Task

logger = logging.getLogger(__name__)

# Written as "not pending or running" rather than "success, failed or cancelled": the
# same rows, but SQLite's planner then walks the index the rest of the query needs
# (creation time, script, primary key) instead of scanning every finished run's status
# entry for each batch.
ACTIVE = (Status.PENDING, Status.RUNNING)
BATCH_RUNS = 500  # at most, per batch
FIRST_BATCH_RUNS = 100
MIN_BATCH_RUNS = 10
BATCH_LOG_BYTES = 16 * 1024 * 1024  # at most, per batch
# Each write transaction aims at this long: the batch size follows how long the last
# one took, so a big database or a busy machine gets smaller batches, not longer locks.
TARGET_TRANSACTION = 0.1  # seconds
MAX_REST = 0.2  # seconds: the longest pause between two batches


@dataclass
class PurgeResult:
    """What a purge removed (or, for a dry run, would remove)."""

    runs: int = 0
    log_bytes: int = 0  # bytes of stored output (what the log cap kept)
    artifact_bytes: int = 0  # bytes of the runs' files: artifacts and uploads
    kept_active: int = 0  # selected runs left alone because they are pending or running
    kept_pinned: int = 0  # selected finished runs left alone because they are pinned (keep)
    dry_run: bool = False
    complete: bool = True  # False when a deadline stopped it early; run it again to go on
    batches: int = 0
    longest_transaction: float = 0.0  # seconds: the longest single write transaction
    # (script, status) -> [runs, log bytes]
    breakdown: dict = field(default_factory=dict)

    def add(self, script, status, runs, log_bytes, artifact_bytes=0):
        self.runs += runs
        self.log_bytes += log_bytes
        self.artifact_bytes += artifact_bytes
        totals = self.breakdown.setdefault((script, status), [0, 0])
        totals[0] += runs
        totals[1] += log_bytes


def stored_bytes():
    """The bytes a run holds: its LogChunk rows (what it wrote minus what the cap
    dropped) and its files (uploads and artifacts, `artifact_bytes`). Each counter is
    written in the same transaction as what it counts.

    Retention by size counts these, and so do the previews and the purges' byte counts."""
    return F("log_bytes") - F("log_dropped_bytes") + F("artifact_bytes")


def purgeable(tasks):
    """The runs among `tasks` a purge may take: finished and not pinned."""
    return tasks.exclude(status__in=ACTIVE).exclude(keep=True)


def count(tasks):
    """What deleting `tasks` would remove, in two aggregate queries."""
    result = PurgeResult(dry_run=True, kept_active=tasks.active().count())
    result.kept_pinned = tasks.exclude(status__in=ACTIVE).filter(keep=True).count()
    rows = (
        purgeable(tasks)
        .order_by()
        .values_list("script", "status")
        .annotate(runs=Count("pk"), stored=Sum(stored_bytes()), files=Sum("artifact_bytes"))
    )
    for script, status, runs, stored, files in rows:
        result.add(script, status, runs, stored or 0, files or 0)
    return result


def purge(actor: Any, tasks, *, deadline: float | None = None, **batching: Any) -> "PurgeResult":
    """Delete the finished runs among `tasks` (see `delete`), recording each batch in
    the audit trail in that batch's transaction. `actor` is the user who asked, or None
    for the system (`manage.py purge_tasks`, the daily retention pass)."""

    def record(batch: PurgeResult) -> None:
        # Inside each batch's transaction: the trail and the deletion commit together.
        scripts: dict[str, int] = {}
        for (script, _), (runs, _) in batch.breakdown.items():
            scripts[script] = scripts.get(script, 0) + runs
        AuditEvent.record(
            actor,
            AuditAction.PURGE,
            script=next(iter(scripts)) if len(scripts) == 1 else "",
            runs=batch.runs,
            log_bytes=batch.log_bytes,
            scripts=scripts,
        )

    result = delete(tasks, deadline=deadline, on_batch=record, **batching)
    if result.runs:
        logger.info(
            "%s purged %d runs (%d bytes of logs) in %d batches; %d pending or running kept",
            actor.get_username() if actor is not None else "the system",
            result.runs,
            result.log_bytes,
            result.batches,
            result.kept_active,
        )
    return result


def delete(
    tasks,
    *,
    batch_runs: int | None = None,
    batch_bytes: int | None = None,
    deadline: float | None = None,
    on_batch: Callable[["PurgeResult"], None] | None = None,
) -> "PurgeResult":
    """Delete the finished runs among `tasks` with their logs; return a PurgeResult.

    `deadline` (a time.monotonic() value) stops after the batch in progress once passed,
    with `complete` False: the retention pass purges a little at a time that way.
    `on_batch(batch)` is called inside each batch's transaction with that batch's own
    PurgeResult, so whatever it records commits with the deletion or not at all.
    """
    batch_runs = batch_runs or BATCH_RUNS
    batch_bytes = batch_bytes or BATCH_LOG_BYTES
    size = min(batch_runs, FIRST_BATCH_RUNS)
    # Inside a caller's transaction the purge is one transaction anyway: resting would
    # only hold the lock longer.
    rest = connection.vendor == "sqlite" and not connection.in_atomic_block
    result = PurgeResult(kept_active=tasks.active().count())
    result.kept_pinned = tasks.exclude(status__in=ACTIVE).filter(keep=True).count()
    # Oldest first, one batch at a time, each chosen afresh: what a batch deletes is gone
    # from the next query, so there is no cursor to keep and memory stays one batch.
    # (Ordering by created_at lets the database walk an index instead of sorting all
    # the remaining runs for every batch.)
    candidates = (
        purgeable(tasks)
        .order_by("created_at")
        .values_list("pk", "log_bytes", "log_dropped_bytes", "artifact_bytes")
    )
    previous = None
    while True:
        rows = list(candidates[:size])
        if not rows:
            break
        batch, stored = [], 0
        for pk, written, dropped, files in rows:
            if batch and stored + written - dropped + files > batch_bytes:
                break
            batch.append(pk)
            stored += written - dropped + files
        deleted, took = _delete_batch(batch, result, on_batch)
        if not deleted and batch == previous:
            break  # the same runs again and none could go: stop rather than spin
        previous = batch
        growth = min(2.0, TARGET_TRANSACTION / max(took, 0.001))
        size = min(batch_runs, max(MIN_BATCH_RUNS, int(len(batch) * growth)))
        if deadline is not None and time.monotonic() >= deadline:
            result.complete = not candidates.exists()
            break
        if rest:
            _rest_after(took)
    return result


def _rest_after(took):
    """SQLite only: let the other writers in before the next batch.

    SQLite has one writer at a time, and a writer waiting for the lock sleeps in growing
    steps (up to 100 ms): a purge that took the lock again at once could starve it for
    seconds. Resting as long as the batch took leaves the others at least half the time.
    Meanwhile the batch's pages are copied from the WAL into the database (a passive
    checkpoint takes no write lock), so that the next site write to commit does not pay
    for the purge's checkpoint."""
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
    time.sleep(max(0.0, min(took, MAX_REST) - (time.monotonic() - started)))


def _delete_batch(pks, result, on_batch=None):
    """Delete the finished runs among `pks`; return (how many, seconds it took)."""
    started = time.monotonic()
    with transaction.atomic():
        # Checked again under the write lock (and, on PostgreSQL, with the rows locked):
        # whatever the batch was chosen from, a run pending, running or pinned now is
        # left alone.
        doomed = (
            purgeable(Task.objects.select_for_update().filter(pk__in=pks))
            .order_by()
            .values_list("pk", "script", "status", stored_bytes(), "artifact_bytes")
        )
        batch = PurgeResult()
        ids = []
        for pk, script, status, stored, files in doomed:
            ids.append(pk)
            batch.add(script, status, 1, stored, files)
        if ids:
            # Django's collector deletes the LogChunk rows with one statement per batch
            # of ids and clears `rerun_of` on later runs that point here.
            Task.objects.filter(pk__in=ids).only("pk").delete()
            if on_batch is not None:
                on_batch(batch)
    elapsed = time.monotonic() - started
    result.batches += 1
    result.longest_transaction = max(result.longest_transaction, elapsed)
    for (script, status), (runs, stored) in batch.breakdown.items():
        result.add(script, status, runs, stored)
    result.artifact_bytes += batch.artifact_bytes
    return len(ids), elapsed
