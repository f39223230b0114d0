"""The run history: one Task row per run, with the verbs that change its state."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import NotSupportedError, connections, models, router, transaction
from django.utils import timezone

from tasks.models import figures
from tasks.models.choices import FINISHED_STATUSES, EndReason, Status, Trigger
from tasks.models.indexes import NullsFirstIndex
from tasks.models.returning import update_returning
from tasks.models.watch import Watched, announce

# mark_enqueued's `previous` when any value will do.
ANY_TIME = object()


class TaskQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Status.PENDING)

    def running(self):
        return self.filter(status=Status.RUNNING)

    def active(self):
        return self.filter(status__in=(Status.PENDING, Status.RUNNING))

    def finished(self):
        return self.filter(status__in=FINISHED_STATUSES)

    def stale(self, now: datetime | None = None) -> "TaskQuerySet":
        """Running tasks whose worker has not written a heartbeat for too long."""
        now = now or timezone.now()
        cutoff = now - timedelta(seconds=settings.EXECUTOR_STALE_AFTER)
        return self.running().filter(heartbeat_at__lt=cutoff)

    # Verbs on rows named by id (the caller holds no loaded row).

    def interrupt_stale(self, pk: Any, *, error: str, now: datetime | None = None) -> bool:
        """End one run as failed/interrupted if it is still running with a stale
        heartbeat (its supervisor died); False when it is not (any more).

        The staleness is the guard: a supervisor that was only slow and wrote a
        heartbeat since the caller looked keeps its run."""
        now = now or timezone.now()
        with transaction.atomic():
            ended = update_returning(
                self.stale(now).filter(pk=pk),
                figures.ENDED_FIELDS,
                status=Status.FAILED,
                end_reason=EndReason.INTERRUPTED,
                completed_at=now,
                duration=duration_until(now),
                error=error,
            )
            if ended:
                figures.count_finished(ended[0])
                announce(pk, "finished")
        return len(ended) == 1

    def explain_interruption(self, pk: Any, error: str) -> bool:
        """Replace the error of a run that was interrupted (say, once its orphaned script
        was killed); False when it is not a failed/interrupted run."""
        changed = self.filter(pk=pk, status=Status.FAILED, end_reason=EndReason.INTERRUPTED).update(
            error=error
        )
        return changed == 1

    def mark_enqueued(
        self, pk: Any, *, now: datetime | None = None, previous: Any = ANY_TIME
    ) -> bool:
        """Record that the id of a pending run was sent to the broker (Celery).

        With `previous` (a time, or None for never sent), only if `enqueued_at` is still
        that: of several housekeepers looking at once, one wins and sends."""
        pending = self.pending().filter(pk=pk)
        if previous is None:
            pending = pending.filter(enqueued_at__isnull=True)
        elif previous is not ANY_TIME:
            pending = pending.filter(enqueued_at=previous)
        return pending.update(enqueued_at=now or timezone.now()) == 1

    def unmark_enqueued(self, pk: Any, *, sent_at: datetime, previous: datetime | None) -> bool:
        """Undo `mark_enqueued(pk, now=sent_at)` when the send failed, unless somebody
        has marked it since."""
        return self.filter(pk=pk, enqueued_at=sent_at).update(enqueued_at=previous) == 1


class Task(Watched):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    # What ran: a snapshot taken at submission, so the history stays true when the
    # catalog or the script changes later (and a re-run can say that it did).
    script = models.CharField(max_length=100)
    script_path = models.CharField(max_length=500, help_text="Relative to the catalog folder.")
    script_sha256 = models.CharField(max_length=64, blank=True)
    interpreter = models.CharField(max_length=500)
    interpreter_version = models.CharField(max_length=100, blank=True)
    argv = models.JSONField(default=list, help_text="The whole command line, interpreter first.")
    script_args = models.JSONField(
        default=list, help_text="What follows the script's path: parameters, then free args."
    )
    args = models.JSONField(default=list, help_text="Free arguments given with the request.")
    params = models.JSONField(default=dict, help_text="Typed parameters after validation.")
    env = models.JSONField(default=dict, help_text="Parameters passed as environment variables.")
    timeout = models.FloatField(help_text="Seconds before the run is stopped.")
    queue = models.CharField(max_length=100, default="default")
    rerun_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns"
    )

    trigger = models.CharField(
        max_length=10, choices=Trigger.choices, default=Trigger.MANUAL, db_index=True
    )

    schedule = models.ForeignKey(
        "tasks.Schedule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        help_text="The schedule that started this run, if one did.",
    )

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    user_name = models.CharField(max_length=150)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: unknown.")
    progress_message = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # For a run that ran: when its script had exited and all its output was read (what
    # the supervisor does after that, reaping and writing the row, is not the run's time).
    completed_at = models.DateTimeField(null=True, blank=True)
    # Stored when the run ends, so the history sorts by it through an index.
    duration = models.DurationField(null=True, blank=True)

    # How it ended.
    return_code = models.IntegerField(null=True, blank=True)
    end_reason = models.CharField(max_length=12, choices=EndReason.choices, blank=True)
    error = models.TextField(blank=True, help_text="Why it could not start or was interrupted.")
    exception = models.CharField(
        max_length=500, blank=True, help_text="The last exception line of a Python traceback."
    )
    killed = models.BooleanField(default=False, help_text="SIGKILL was needed to stop it.")
    peak_memory_kb = models.PositiveBigIntegerField(null=True, blank=True)
    cpu_seconds = models.FloatField(null=True, blank=True)

    # Supervision.
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True, help_text="host:pid of the supervisor.")
    pid = models.IntegerField(null=True, blank=True)
    enqueued_at = models.DateTimeField(
        null=True, blank=True, help_text="When its id was last sent to the broker (Celery)."
    )

    # The log: bytes received from the script, and how many of them the cap dropped.
    log_bytes = models.PositiveBigIntegerField(default=0)
    log_dropped_bytes = models.PositiveBigIntegerField(default=0)
    # The last few KiB of each stream, kept on the row so that lists and the seed API's
    # `output` and `error` fields need no query per task.
    stdout_tail = models.TextField(blank=True)
    stderr_tail = models.TextField(blank=True)
    # The real arguments of a run with secret parameters, encrypted, until it starts
    # (tasks/secret_params.py); params, argv, script_args and env hold them masked.
    sealed_secrets = models.TextField(blank=True, editable=False)
    # Pinned: no purge takes it, by hand or by the retention policy (tasks/history/purging.py).
    keep = models.BooleanField(default=False, help_text="Pinned: never purged.")
    # Files in and out (tasks/models/artifact.py): the bytes its artifacts and uploads
    # hold, written with them; the Markdown summary it wrote; what a cap left out.
    artifact_bytes = models.PositiveBigIntegerField(default=0)
    summary = models.TextField(
        blank=True, help_text="Markdown the script wrote (EXECUTOR_SUMMARY)."
    )
    files_note = models.TextField(blank=True, help_text="Files a size cap left out.")

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # Every ordering of the history (tasks.history.filters.ORDERINGS) walks one of
        # these in one direction or the other, tie-breaker included, and each filter
        # finds its rows newest first in one; see docs/benchmarks.md.
        indexes = [
            models.Index(fields=["created_at", "id"], name="task_created_id"),
            models.Index(fields=["status", "-created_at", "-id"], name="task_status_order"),
            models.Index(fields=["script", "-created_at", "-id"], name="task_script_order"),
            models.Index(
                fields=["script", "status", "-created_at", "-id"], name="task_script_status_order"
            ),
            models.Index(fields=["user", "-created_at", "-id"], name="task_user_order"),
            models.Index(fields=["user_name", "-created_at", "-id"], name="task_username_order"),
            models.Index(fields=["trigger", "-created_at", "-id"], name="task_trigger_order"),
            models.Index(fields=["schedule", "-created_at", "-id"], name="task_schedule_order"),
            *(
                # Unknown values first ascending, last descending (tasks/models/indexes.py).
                NullsFirstIndex(column=name, name=f"task_{name}_order")
                for name in ("started_at", "completed_at", "duration", "progress", "return_code")
            ),
        ]
        permissions = [
            ("run_any_script", "Can run every script in the catalog"),
            ("view_all_runs", "Can see the runs of every user"),
            ("manage_all_runs", "Can cancel and re-run the runs of every user"),
        ]

    def __str__(self):
        return f"{self.script} {self.short_id} ({self.status})"

    @property
    def short_id(self):
        return str(self.id)[:8]

    @property
    def is_finished(self):
        return self.status in FINISHED_STATUSES

    def elapsed(self):
        """How long it ran, or has been running so far; None before it started."""
        if self.duration is not None:
            return self.duration
        if self.started_at is None:
            return None
        return (self.completed_at or timezone.now()) - self.started_at

    # State changes. Each writes only its own columns and, where two parties may race
    # (a worker and a cancel, two workers), is a compare-and-set on the status column.

    @classmethod
    def claim(cls, pk: Any, worker: str, fields: Sequence[str] | None = None) -> "Task | None":
        """Mark a pending task running for `worker` and return it (with only `fields`
        loaded, if given); None when it was not pending (somebody else has it).

        One UPDATE ... RETURNING: a claim is on the path of every run, and the ORM's
        update-then-select costs three times as much. There is no fallback without
        RETURNING: Django 6.1 requires SQLite 3.37 and PostgreSQL 15, which both have it
        (SQLite since 3.35), and those are the databases this project supports.
        """
        now = timezone.now()
        using = router.db_for_write(cls)
        connection = connections[using]
        if not connection.features.can_return_rows_from_update:
            raise NotSupportedError(f"{connection.vendor} cannot claim with UPDATE ... RETURNING")
        quote = connection.ops.quote_name
        meta = cls._meta

        def column(name: str) -> str:
            return quote(meta.get_field(name).column)  # type: ignore[union-attr, arg-type]

        returning = fields or [field.name for field in meta.concrete_fields]
        # Only quoted table and column names are formatted in; values are parameters.
        sql = (
            f"UPDATE {quote(meta.db_table)} SET {column('status')} = %s, "  # noqa: S608
            f"{column('started_at')} = %s, {column('heartbeat_at')} = %s, "
            f"{column('worker')} = %s WHERE {column('id')} = %s AND {column('status')} = %s "
            f"RETURNING {', '.join(column(name) for name in returning)}"
        )
        moment = connection.ops.adapt_datetimefield_value(now)
        params = [
            Status.RUNNING,
            moment,
            moment,
            worker,
            meta.pk.get_db_prep_value(pk, connection),
            Status.PENDING,
        ]
        rows = list(cls.objects.using(using).raw(sql, params))
        return rows[0] if rows else None

    def _update_if(self, guard: models.Q, **fields: Any) -> bool:
        """Write `fields` to this row if it matches `guard`; True (and the instance
        updated) when it did."""
        changed = Task.objects.filter(guard, pk=self.pk).update(**fields)
        if changed:
            for name, value in fields.items():
                if not hasattr(value, "resolve_expression"):
                    setattr(self, name, value)
        return changed == 1

    def start(self, *, pid: int, **fields: Any) -> bool:
        """Record the child process of a running task (its pid, and what ran where it
        differs from the submission) once it runs; it also counts as a heartbeat, and may
        carry the heartbeat's `fields`. False when the task is not running, or its child
        is already recorded."""
        fields.setdefault("heartbeat_at", timezone.now())
        return self._update_if(models.Q(status=Status.RUNNING, pid__isnull=True), pid=pid, **fields)

    def heartbeat(self, **fields: Any) -> bool:
        """Say that the supervisor is alive, with the run's progress so far (log counters,
        progress, tails); False when the task is no longer running."""
        fields.setdefault("heartbeat_at", timezone.now())
        return self._update_if(models.Q(status=Status.RUNNING), **fields)

    def forget_secrets(self) -> bool:
        """Clear the sealed secret arguments of a running task (they live on only in its
        supervisor's memory); False when it is not running or has none."""
        guard = models.Q(status=Status.RUNNING) & ~models.Q(sealed_secrets="")
        return self._update_if(guard, sealed_secrets="")

    def finish(
        self,
        *,
        status: str,
        end_reason: str,
        from_statuses: Iterable[str] = (Status.PENDING, Status.RUNNING),
        **fields: Any,
    ) -> bool:
        """End the task once; False when it was no longer in one of `from_statuses`."""
        fields.setdefault("completed_at", timezone.now())
        # The end, its figures (tasks/models/figures.py) and its event (for notifications)
        # commit together or not at all. Inside the caller's transaction (a supervisor's
        # final write) without a savepoint: a failure here undoes that whole write anyway.
        with transaction.atomic(savepoint=False):
            ended = update_returning(
                Task.objects.filter(pk=self.pk, status__in=tuple(from_statuses)),
                figures.ENDED_FIELDS,
                status=status,
                end_reason=end_reason,
                duration=duration_until(fields["completed_at"]),
                **fields,
            )
            if ended:
                figures.count_finished(ended[0])
                announce(self.pk, "finished")
        if ended:
            self.status, self.end_reason = status, end_reason
            for name, value in fields.items():
                setattr(self, name, value)
            self.duration = ended[0]["duration"]
        return len(ended) == 1

    def set_keep(self, keep: bool) -> bool:
        """Pin the run (`keep`) so that no purge takes it, or unpin it; False when it was
        already so. A purge checks the pin again inside its delete transaction."""
        return self._update_if(models.Q(keep=not keep), keep=keep)

    def request_cancel(self) -> bool:
        """Ask for the run to stop. A pending run ends at once; a running one at its
        supervisor's next look at the row. Returns True when the run was still active."""
        now = timezone.now()
        # A running row is only flagged: its supervisor must kill the process group
        # first, and it is the one that records the end.
        if self.finish(
            status=Status.CANCELLED,
            end_reason=EndReason.CANCELLED,
            from_statuses=(Status.PENDING,),
            sealed_secrets="",
        ):
            return True
        if self._update_if(
            models.Q(status=Status.RUNNING, cancel_requested_at__isnull=True),
            cancel_requested_at=now,
        ):
            return True
        self.refresh_from_db(fields=["status", "cancel_requested_at"])
        return self.status == Status.RUNNING


def duration_until(moment: datetime) -> models.ExpressionWrapper:
    """The run's duration if it ends at `moment`, as an expression for an UPDATE (null
    for a run that never started)."""
    return models.ExpressionWrapper(
        models.Value(moment) - models.F("started_at"), output_field=models.DurationField()
    )


class ScriptCatalog(Task):
    """The script catalog as the admin shows it: each script with its runs' totals.

    The catalog is a file, not a table; this proxy only gives the admin's read-only
    catalog page its place (and its permission) next to the runs.
    """

    class Meta:
        proxy = True
        verbose_name = "script catalog"
        verbose_name_plural = "script catalog"
        default_permissions = ("view",)
