"""One write of a run as it goes (supervisor.py): the log chunks that came, the chunks
the log cap gave up, and the row's state, in one short transaction, so a viewer that
reads the row finds every chunk it speaks of."""

from typing import Any

from django.db import reset_queries, transaction

from tasks.models import LogChunk, Status, Task

DELETE_BATCH = 500  # offsets per DELETE statement


def write_once(task: Task, new, doomed, fields: dict[str, Any], final: bool) -> bool:
    """One attempt at the write; False (nothing written) when the run is not ours. The
    row's verb is its start (when `fields` carry the pid), a heartbeat, or its end."""
    with transaction.atomic():
        for start in range(0, len(doomed), DELETE_BATCH):
            LogChunk.objects.filter(
                task_id=task.pk, offset__in=doomed[start : start + DELETE_BATCH]
            ).delete()
        if new:
            LogChunk.objects.bulk_create(new)
        if final:
            won = task.finish(from_statuses=(Status.RUNNING,), **fields)
        elif "pid" in fields:
            won = task.start(**fields)
        else:
            won = task.heartbeat(**fields)
        if not won:
            transaction.set_rollback(True)
    reset_queries()  # with DEBUG on, Django's query log would keep every chunk's SQL
    return won
