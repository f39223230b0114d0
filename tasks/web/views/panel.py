"""The live run panel that the dashboard and the task page share."""

import json
from statistics import median

from tasks import access
from tasks.history.log_window import extent
from tasks.models import Status
from tasks.web.state import task_state

ESTIMATE_SAMPLE = 20  # recent successful runs behind an estimate
ESTIMATE_SCAN = 200  # recent successful runs of the script searched for the same parameters
LOG_TAIL_BYTES = 512 * 1024  # a live page starts with this much of a long log
# A live page further behind the latest output than this (many screenfuls) skips ahead
# to it and says so (tasks/web/stream.py): a flood costs it a screenful, not the flood.
LOG_SKIP_BYTES = 64 * 1024
WITH_THESE_PARAMETERS = "with these parameters"
FOR_THIS_SCRIPT = "for this script"


def estimate(user, task):
    """(seconds, basis): the median duration of recent successful runs with the same
    parameter values, else of the script's recent successful runs; (None, "") without any.

    The parameters are compared in Python: JSON equality differs between databases."""
    rows = (
        access.visible_tasks(user)
        .filter(script=task.script, status=Status.SUCCESS)
        .exclude(pk=task.pk)
        .exclude(started_at=None)
        .exclude(completed_at=None)
        # Newest first by the (script, status, created_at) index: by completed_at the
        # database sorted every success of the script (4 s at 1M runs).
        .order_by("-created_at", "-id")
        .values_list("started_at", "completed_at", "params")[:ESTIMATE_SCAN]
    )
    runs = [((end - start).total_seconds(), params) for start, end, params in rows]
    same = [seconds for seconds, params in runs if params == task.params][:ESTIMATE_SAMPLE]
    if same:
        return round(median(same), 3), WITH_THESE_PARAMETERS
    if runs:
        return round(median(seconds for seconds, _ in runs[:ESTIMATE_SAMPLE]), 3), FOR_THIS_SCRIPT
    return None, ""


def panel_context(user, task):
    typical, basis = estimate(user, task)
    return {
        "task": task,
        "can_manage": access.can_manage(user, task),
        "typical_seconds": typical,
        "typical_basis": basis,
        "initial_state": json.dumps(task_state(task)),
        "log_tail_bytes": LOG_TAIL_BYTES,
        "log_skip_bytes": LOG_SKIP_BYTES,
        "log_lines": extent(task.pk)[1],
        # Only who started a run is offered a browser notification when it ends.
        "started_by_viewer": task.user_id is not None and task.user_id == user.pk,
    }
