"""The audit trail: one `record()` for every action that starts, stops or removes runs."""

from collections.abc import Iterable

from django.db import transaction

from tasks.models import AuditAction, AuditEvent

__all__ = ["AuditAction", "event", "record", "record_many"]


def record(actor, action, *, task=None, task_id=None, script="", **details):
    """Write one audit event. Call it inside the transaction of the action it records,
    so that the trail and the action are committed together or not at all.

    `actor` is a user, or None for the command line and the engine itself. The run is
    `task`, or named by `task_id` and `script` when its row is not written yet."""
    _in_transaction()
    return AuditEvent.objects.create(
        **_fields(actor, action, task=task, task_id=task_id, script=script, **details)
    )


def record_many(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Write the `event()`s of many actions with one INSERT, in their transaction."""
    _in_transaction()
    return AuditEvent.objects.bulk_create(list(events))


def _in_transaction():
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the action's transaction")


def event(actor, action, *, task=None, task_id=None, script="", **details):
    """The audit event `record` writes, unsaved (for `record_many`)."""
    return AuditEvent(
        **_fields(actor, action, task=task, task_id=task_id, script=script, **details)
    )


def _fields(actor, action, *, task=None, task_id=None, script="", **details):
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    name = actor.get_username() if actor is not None else details.pop("actor_name", "system")
    return {
        "actor": actor,
        "actor_name": name,
        "action": AuditAction(action),
        "task_id": task.pk if task is not None else task_id,
        "script": task.script if task is not None and not script else script,
        "details": details,
    }
