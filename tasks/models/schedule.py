"""Schedules: a script run by its owner on a timetable, and one Firing row per due time.

Every state change is a guarded verb (compare-and-set on the row): the scheduler claims a
firing by moving `next_fire_at` from the value it read, so two processes never fire one
due time twice; the Firing row's unique (schedule, due_at) is the second lock.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.timezone import now


class TimetableKind(models.TextChoices):
    CRON = "cron", "cron expression"
    INTERVAL = "interval", "every N seconds"
    ONCE = "once", "once, at a date and time"


class OverlapPolicy(models.TextChoices):
    SKIP = "skip", "skip (and record) while the last run goes on"
    QUEUE = "queue", "queue one run until the last one ends"
    PARALLEL = "parallel", "run in parallel"


class MissedPolicy(models.TextChoices):
    RUN_ONCE = "run_once", "run once for all missed firings"
    SKIP = "skip", "skip to the next firing"


class FiringOutcome(models.TextChoices):
    RUN = "run", "ran"
    SKIPPED = "skipped", "skipped"
    QUEUED = "queued", "queued"


class ClaimLost(Exception):
    """A batch claim changed other rows than it locked: the caller's transaction must be
    rolled back (the scheduler then claims the batch's schedules one by one)."""


class ScheduleQuerySet(models.QuerySet):
    def advance(self, due: datetime, following: datetime | None) -> list[int]:
        """Claim the firing at `due` of the schedules of this queryset that still wait
        for it: move their next_fire_at to `following`; return their ids. Inside a
        transaction only: the rows are locked before they are changed (SELECT ... FOR
        UPDATE on PostgreSQL; a SQLite IMMEDIATE transaction holds the write lock from
        its start), so another process that read `due` claims none of them."""
        waiting = self.filter(next_fire_at=due, paused=False)
        ids = list(waiting.select_for_update().order_by("pk").values_list("pk", flat=True))
        changed = Schedule.objects.filter(pk__in=ids, next_fire_at=due, paused=False).update(
            next_fire_at=following
        )
        if changed != len(ids):
            raise ClaimLost(f"locked {len(ids)} schedules due at {due}, changed {changed}")
        return ids


class FiringQuerySet(models.QuerySet):
    def settle_queued(self, verdicts: dict[int, tuple[str, str, Any]]) -> int:
        """Turn the queued firings named by `verdicts` (firing id: outcome, reason, task
        or None) into what became of them, with one UPDATE guarded by their still being
        queued; return how many changed. Inside a transaction only, after locking them
        (`lock_queued`), so a count short of len(verdicts) means the caller must roll back."""
        if not verdicts:
            return 0

        def per_firing(values: dict[int, Any], field: models.Field) -> models.Case:
            whens = [models.When(pk=pk, then=models.Value(value)) for pk, value in values.items()]
            return models.Case(*whens, output_field=field)

        return self.filter(pk__in=list(verdicts), outcome=FiringOutcome.QUEUED).update(
            outcome=per_firing({pk: v[0] for pk, v in verdicts.items()}, models.CharField()),
            reason=per_firing({pk: v[1][:500] for pk, v in verdicts.items()}, models.CharField()),
            task_id=per_firing(
                {pk: v[2].pk if v[2] is not None else None for pk, v in verdicts.items()},
                models.UUIDField(),
            ),
        )

    def lock_queued(self) -> list[int]:
        """The ids of this queryset's firings that are still queued, their rows locked
        until the transaction ends (SELECT ... FOR UPDATE on PostgreSQL; SQLite's
        IMMEDIATE transaction holds the write lock from its start)."""
        queued = self.filter(outcome=FiringOutcome.QUEUED).select_for_update().order_by("pk")
        return list(queued.values_list("pk", flat=True))


class Schedule(models.Model):
    name = models.CharField(max_length=100)
    script = models.CharField(max_length=100)
    params = models.JSONField(default=dict, blank=True)
    # The values of the catalog's storable secrets, sealed (tasks.secret_params); `params`
    # holds only their mask.
    sealed_secrets = models.TextField(blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schedules"
    )
    kind = models.CharField(max_length=10, choices=TimetableKind.choices)
    cron = models.CharField(max_length=200, blank=True, help_text="Five fields or an @alias.")
    interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    run_at = models.DateTimeField(null=True, blank=True, help_text="For a one-off firing.")
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA name.")
    overlap = models.CharField(
        max_length=10, choices=OverlapPolicy.choices, default=OverlapPolicy.SKIP
    )
    missed = models.CharField(
        max_length=10, choices=MissedPolicy.choices, default=MissedPolicy.RUN_ONCE
    )
    paused = models.BooleanField(default=False)
    # The next due time; empty when nothing is due any more (a one-off that fired).
    next_fire_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    objects = ScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["paused", "next_fire_at"], name="schedule_due")]

    def __str__(self) -> str:
        return self.name

    def _update_if(self, guard: models.Q, **fields: Any) -> bool:
        changed = Schedule.objects.filter(guard, pk=self.pk).update(**fields)
        if changed:
            for name, value in fields.items():
                setattr(self, name, value)
        return changed == 1

    def advance(self, due: datetime, following: datetime | None) -> bool:
        """Claim the firing at `due`: move next_fire_at from it to `following`. Only one
        caller that read `due` succeeds."""
        return self._update_if(models.Q(next_fire_at=due, paused=False), next_fire_at=following)

    def pause(self) -> bool:
        return self._update_if(models.Q(paused=False), paused=True, updated_at=now())

    def resume(self, next_fire_at: datetime | None) -> bool:
        return self._update_if(
            models.Q(paused=True),
            paused=False,
            next_fire_at=next_fire_at,
            updated_at=now(),
        )


class Firing(models.Model):
    """One due time of a schedule and what came of it: a run, a skip (with the reason), or
    a run queued behind the one still going."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="firings")
    due_at = models.DateTimeField()
    fired_at = models.DateTimeField(default=now)
    outcome = models.CharField(max_length=10, choices=FiringOutcome.choices)
    reason = models.CharField(max_length=500, blank=True)
    task = models.ForeignKey(
        "tasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="firings"
    )
    worker = models.CharField(max_length=200, blank=True)

    objects = FiringQuerySet.as_manager()

    class Meta:
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "due_at"], name="one_firing_per_due_time")
        ]

    def __str__(self) -> str:
        return f"{self.schedule} at {self.due_at:%Y-%m-%d %H:%M:%S}: {self.outcome}"

    def _update_if(self, guard: models.Q, **fields: Any) -> bool:
        changed = Firing.objects.filter(guard, pk=self.pk).update(**fields)
        if changed:
            for name, value in fields.items():
                setattr(self, name, value)
        return changed == 1

    def record_run(self, task: Any) -> bool:
        """A queued firing became a run (its previous run has ended)."""
        return self._update_if(
            models.Q(outcome=FiringOutcome.QUEUED),
            outcome=FiringOutcome.RUN,
            task=task,
            reason="",
        )

    def record_skip(self, reason: str) -> bool:
        return self._update_if(
            models.Q(outcome=FiringOutcome.QUEUED),
            outcome=FiringOutcome.SKIPPED,
            reason=reason[:500],
        )
