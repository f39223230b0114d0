"""The retention policy: which runs it would remove now, by age, count per script and size.

- Age (EXECUTOR_RETENTION_DAYS): finished runs created before the cutoff.
- Count (EXECUTOR_RETENTION_RUNS_PER_SCRIPT = N): of each script's runs, newest first,
  the finished ones after the N-th. Active and pinned runs count among the N, and stay.
- Size (EXECUTOR_RETENTION_MAX_BYTES): when everything the history holds (`purging.
  stored_bytes` of every run, active and pinned ones included) is over the budget, the
  oldest finished runs the other rules leave, one after another, until it fits.

Never an active run, never a pinned one (`purging.purgeable`). The daily pass
(tasks/executor/retention.py) purges this selection; `purge_tasks --policy --dry-run`,
the admin and the staff retention page preview it with `purging.count`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from tasks.history import purging
from tasks.models import Task

SIZE_WALK_BATCH = 2000


@dataclass(frozen=True)
class Policy:
    days: int = 0
    runs_per_script: int = 0
    max_bytes: int = 0

    @classmethod
    def configured(cls) -> "Policy":
        return cls(
            days=settings.EXECUTOR_RETENTION_DAYS,
            runs_per_script=settings.EXECUTOR_RETENTION_RUNS_PER_SCRIPT,
            max_bytes=settings.EXECUTOR_RETENTION_MAX_BYTES,
        )

    @property
    def active(self) -> bool:
        return bool(self.days or self.runs_per_script or self.max_bytes)

    def age_cutoff(self, now: datetime | None = None) -> datetime | None:
        if not self.days:
            return None
        return (now or timezone.now()) - timedelta(days=self.days)

    def selection(self, now: datetime | None = None, age_cutoff: datetime | None = None):
        """The runs the policy selects now, as a Task queryset; a purge of it removes the
        purgeable ones (`purging.purgeable`) and counts the active and pinned ones it keeps.

        `age_cutoff` overrides the age rule's cutoff (the daily pass keeps the one it
        recorded when it started)."""
        rules = Q(pk__in=[])
        cutoff = age_cutoff or self.age_cutoff(now)
        if cutoff is not None:
            rules |= Q(created_at__lt=cutoff)
        if self.runs_per_script:
            rules |= self._beyond_count()
        if self.max_bytes:
            over = self._oldest_over_budget(purging.purgeable(Task.objects.filter(rules)))
            if over is not None:
                rules |= over
        # Active and pinned runs among these stay: the purge leaves them and counts them.
        return Task.objects.filter(rules)

    def _beyond_count(self) -> Q:
        """Each script's runs after its N-th newest (ties at the N-th's time stay)."""
        beyond = Q(pk__in=[])
        scripts = Task.objects.order_by().values_list("script", flat=True).distinct()
        for script in scripts:
            last_kept = (
                Task.objects.filter(script=script)
                .order_by("-created_at")
                .values_list("created_at", flat=True)[
                    self.runs_per_script - 1 : self.runs_per_script
                ]
            )
            for moment in last_kept:
                beyond |= Q(script=script, created_at__lt=moment)
        return beyond

    def _oldest_over_budget(self, chosen) -> Q | None:
        """The oldest purgeable runs, besides `chosen`, whose removal brings what the
        history holds down to the budget: a Q up to the last of them, by (created_at, id)."""
        held = Task.objects.aggregate(total=Sum(purging.stored_bytes()))["total"] or 0
        going = chosen.aggregate(total=Sum(purging.stored_bytes()))["total"] or 0
        excess = held - going - self.max_bytes
        if excess <= 0:
            return None
        rest = (
            purging.purgeable(Task.objects.all())
            .exclude(pk__in=chosen.values("pk"))
            .order_by("created_at", "pk")
            .values_list("created_at", "pk", purging.stored_bytes())
        )
        freed, last = 0, None
        for created, pk, stored in rest.iterator(chunk_size=SIZE_WALK_BATCH):
            freed += stored or 0
            last = (created, pk)
            if freed >= excess:
                break
        if last is None:
            return None
        created, pk = last
        return Q(created_at__lt=created) | Q(created_at=created, pk__lte=pk)


@dataclass
class Holdings:
    """What the history holds: runs and bytes, in all and per script."""

    runs: int
    stored_bytes: int
    per_script: list[tuple[str, int, int]]  # (script, runs, bytes), biggest first


def holdings() -> Holdings:
    rows = (
        Task.objects.order_by()
        .values("script")
        .annotate(runs=Count("pk"), stored=Sum(purging.stored_bytes()))
        .order_by("-stored", "script")
    )
    per_script = [(row["script"], row["runs"], row["stored"] or 0) for row in rows]
    return Holdings(
        runs=sum(runs for _, runs, _ in per_script),
        stored_bytes=sum(stored for _, _, stored in per_script),
        per_script=per_script,
    )


def preview(policy: Policy | None = None, now: datetime | None = None) -> purging.PurgeResult:
    """What the policy would remove now (a dry run's PurgeResult)."""
    policy = policy or Policy.configured()
    if not policy.active:
        return purging.PurgeResult(dry_run=True)
    return purging.count(policy.selection(now))


def report(policy: Policy | None = None) -> dict:
    """What the retention page and the admin show: the policy, what it would remove now
    (in all and per script, biggest first) and what the history holds."""
    policy = policy or Policy.configured()
    would = preview(policy)
    per_script: dict[str, list[int]] = {}
    for (script, _), (runs, stored) in would.breakdown.items():
        totals = per_script.setdefault(script, [0, 0])
        totals[0] += runs
        totals[1] += stored
    return {
        "policy": policy,
        "would": would,
        "would_per_script": sorted(per_script.items(), key=lambda item: (-item[1][1], item[0])),
        "held": holdings(),
    }
