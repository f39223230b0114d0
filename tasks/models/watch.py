"""What the watchdog writes on a run: when it went silent (stalled) and when it overran
its usual duration, each set and cleared once by a guarded verb."""

from typing import Any

from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone

# Sent once a run's end (or a stall, an overrun) is committed, with `task_id` and `event`
# ("finished", "stalled", "overran"): tasks.notifications raises its events from it.
# Sent robustly: a receiver's failure never reaches the run.
run_event = Signal()


def announce(task_id: Any, event: str) -> None:
    transaction.on_commit(lambda: run_event.send_robust(sender=None, task_id=task_id, event=event))


class Watched(models.Model):
    stalled_at = models.DateTimeField(
        null=True, blank=True, help_text="Printed nothing for its stall_after seconds since."
    )
    overran_at = models.DateTimeField(
        null=True, blank=True, help_text="Ran past three times its median duration then."
    )

    class Meta:
        abstract = True

    def _watch_update(self, guard: models.Q, **fields: Any) -> bool:
        changed = type(self)._default_manager.filter(guard, pk=self.pk).update(**fields)
        if changed:
            for name, value in fields.items():
                setattr(self, name, value)
        return changed == 1

    def mark_stalled(self) -> bool:
        """Flag a running run as silent; False when it is not running or already flagged."""
        guard = models.Q(status="running", stalled_at__isnull=True)
        if self._watch_update(guard, stalled_at=timezone.now()):
            announce(self.pk, "stalled")
            return True
        return False

    def clear_stall(self) -> bool:
        """It printed again: clear the flag; False when it was not flagged."""
        return self._watch_update(models.Q(stalled_at__isnull=False), stalled_at=None)

    def mark_overran(self) -> bool:
        """Flag a running run as far longer than usual, once."""
        guard = models.Q(status="running", overran_at__isnull=True)
        if self._watch_update(guard, overran_at=timezone.now()):
            announce(self.pk, "overran")
            return True
        return False
