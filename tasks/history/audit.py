"""The audit trail: one `record()` for every action that starts, stops or removes runs."""

from django.db import transaction

from tasks.models import AuditAction, AuditEvent

__all__ = ["AuditAction", "record"]


def record(actor, action, *, task=None, task_id=None, script="", **details):
    """Write one audit event. Call it inside the transaction of the action it records,
    so that the trail and the action are committed together or not at all.

    `actor` is a user, or None for the command line and the engine itself. The run is
    `task`, or named by `task_id` and `script` when its row is not written yet."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    name = actor.get_username() if actor is not None else details.pop("actor_name", "system")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the action's transaction")
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=name,
        action=AuditAction(action),
        task_id=task.pk if task is not None else task_id,
        script=task.script if task is not None and not script else script,
        details=details,
    )
