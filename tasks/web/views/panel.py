"""The live run panel that the dashboard and the task page share."""

import json
from statistics import median

from tasks import access
from tasks.models import Status
from tasks.web.state import task_state

ESTIMATE_SAMPLE = 20  # recent successful runs of the same script behind an estimate
LOG_TAIL_BYTES = 512 * 1024  # a live page starts with this much of a long log


def typical_seconds(user, script):
    """The median duration of the script's recent successful runs, or None."""
    rows = (
        access.visible_tasks(user)
        .filter(script=script, status=Status.SUCCESS)
        .exclude(started_at=None)
        .exclude(completed_at=None)
        .order_by("-completed_at")
        .values_list("started_at", "completed_at")[:ESTIMATE_SAMPLE]
    )
    durations = [(end - start).total_seconds() for start, end in rows]
    return round(median(durations), 3) if durations else None


def panel_context(user, task):
    return {
        "task": task,
        "can_manage": access.can_manage(user, task),
        "typical_seconds": typical_seconds(user, task.script),
        "initial_state": json.dumps(task_state(task)),
        "log_tail_bytes": LOG_TAIL_BYTES,
    }
