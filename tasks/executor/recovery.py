"""End runs whose supervisor died: a stale heartbeat means nobody is watching them."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from tasks.models import EndReason, Status, Task, duration_until

logger = logging.getLogger(__name__)


def recover_stale(now=None):
    """Mark running tasks with a stale heartbeat failed/interrupted; return how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.EXECUTOR_STALE_AFTER)
    ended = 0
    for task in Task.objects.stale(now).only("pk", "worker", "heartbeat_at"):
        last = timezone.localtime(task.heartbeat_at).strftime("%Y-%m-%d %H:%M:%S %Z")
        # The heartbeat condition is repeated in the update: a supervisor that was only
        # slow and wrote a heartbeat since the query keeps its run.
        changed = Task.objects.filter(
            pk=task.pk, status=Status.RUNNING, heartbeat_at__lt=cutoff
        ).update(
            status=Status.FAILED,
            end_reason=EndReason.INTERRUPTED,
            completed_at=now,
            duration=duration_until(now),
            error=f"its worker {task.worker or '(unknown)'} stopped sending heartbeats "
            f"(last one at {last}); the server or machine probably stopped during the run",
        )
        if changed:
            logger.warning("task %s interrupted: worker %s went silent", task.pk, task.worker)
            ended += 1
    return ended
