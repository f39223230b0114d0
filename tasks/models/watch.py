"""What the watchdog writes on a run (when it went silent, when it overran its usual
duration, each set and cleared by a guarded verb), and RunEvent: the note, written in the
same transaction as the change it records, that notifications must look at a run."""

from typing import Any

from django.db import models, transaction
from django.utils import timezone


class RunEvent(models.Model):
    """A run ended ("finished"), stalled or overran. Written with the row's change, so
    that the one commits only with the other: no event is lost, whatever dies after the
    commit, and the run's own path pays one INSERT. The notifier turns each into
    deliveries and deletes it (tasks.notifications.events.raise_pending)."""

    task_id = models.UUIDField()
    event = models.CharField(max_length=10)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.event} {self.task_id}"


def announce(task_id: Any, event: str) -> None:
    RunEvent.objects.create(task_id=task_id, event=event)


class Watched(models.Model):
    stalled_at = models.DateTimeField(
        null=True, blank=True, help_text="Printed nothing for its stall_after seconds since."
    )
    overran_at = models.DateTimeField(
        null=True, blank=True, help_text="Ran past three times its median duration then."
    )

    class Meta:
        abstract = True

    def _watch_update(self, guard: models.Q, event: str = "", **fields: Any) -> bool:
        # Status values are spelled out: Status lives in task.py, which imports this.
        with transaction.atomic():
            changed = type(self)._default_manager.filter(guard, pk=self.pk).update(**fields)
            if changed and event:
                announce(self.pk, event)
        if changed:
            for name, value in fields.items():
                setattr(self, name, value)
        return changed == 1

    def mark_stalled(self) -> bool:
        """Flag a running run as silent; False when it is not running or already flagged."""
        guard = models.Q(status="running", stalled_at__isnull=True)
        return self._watch_update(guard, "stalled", stalled_at=timezone.now())

    def clear_stall(self) -> bool:
        """It printed again: clear the flag; False when it was not flagged."""
        return self._watch_update(models.Q(stalled_at__isnull=False), stalled_at=None)

    def mark_overran(self) -> bool:
        """Flag a running run as far longer than usual, once."""
        guard = models.Q(status="running", overran_at__isnull=True)
        return self._watch_update(guard, "overran", overran_at=timezone.now())
