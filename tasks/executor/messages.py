"""Task ids on the Celery broker: publishing them, once, and noting when they went out.

The row's `enqueued_at` (set through Task.objects.mark_enqueued) says when an id was last
sent; of several processes that would send it, the one whose compare-and-set wins does.
"""

import logging
from datetime import datetime
from typing import Any

from celery import Celery
from django.utils import timezone

from tasks.executor.celery_app import RUN_TASK
from tasks.models import Task

logger = logging.getLogger(__name__)


def send(app: Celery, task_id: Any, queue: str) -> bool:
    """Publish a task id on its queue; False (logged) when the broker cannot be reached."""
    try:
        app.send_task(RUN_TASK, args=[str(task_id)], queue=queue)
    except Exception as exc:
        logger.warning(
            "task %s: could not reach the broker (%s: %s); it stays pending and will be "
            "sent again by a worker's housekeeping",
            task_id,
            type(exc).__name__,
            exc,
        )
        return False
    return True


def send_once(
    app: Celery, task_id: Any, queue: str, last_sent: datetime | None, now: datetime | None = None
) -> str:
    """Send a pending task's id unless another process has just done so.

    The compare-and-set on `enqueued_at` lets one housekeeper (of however many workers
    look at the same moment) send it. Returns "sent", "skipped" (somebody else sent or
    started it) or "unreachable" (the broker is down; enqueued_at is put back)."""
    now = now or timezone.now()
    if not Task.objects.mark_enqueued(task_id, now=now, previous=last_sent):
        return "skipped"
    if not send(app, task_id, queue):
        Task.objects.unmark_enqueued(task_id, sent_at=now, previous=last_sent)
        return "unreachable"
    return "sent"


def send_next_waiting(app: Celery, script: str) -> None:
    """Send the oldest pending run of `script` (a limited script whose slot freed)."""
    waiting = (
        Task.objects.pending()
        .filter(script=script)
        .order_by("created_at")
        .values_list("pk", "queue", "enqueued_at")
        .first()
    )
    if waiting is not None:
        send_once(app, *waiting)
