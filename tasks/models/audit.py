"""The audit trail's rows: who did what to which run."""

import uuid
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone


class AuditAction(models.TextChoices):
    RUN = "run", "Ran a script"
    RERUN = "rerun", "Re-ran a run"
    CANCEL = "cancel", "Cancelled a run"
    PURGE = "purge", "Purged runs"
    ISSUE_TOKEN = "issue_token", "Issued an API token"
    REVOKE_TOKEN = "revoke_token", "Revoked an API token"
    HOOK_CALL = "hook_call", "Called an inbound webhook"
    SCHEDULE_CREATE = "schedule_create", "Created a schedule"
    SCHEDULE_CHANGE = "schedule_change", "Changed a schedule"
    SCHEDULE_PAUSE = "schedule_pause", "Paused a schedule"
    SCHEDULE_RESUME = "schedule_resume", "Resumed a schedule"
    SCHEDULE_DELETE = "schedule_delete", "Deleted a schedule"
    SCHEDULE_RUN_NOW = "schedule_run_now", "Ran a schedule now"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed to sign in"
    SIGN_OUT = "sign_out", "Signed out"
    LINK_IDENTITY = "link_identity", "Linked a sign-in identity"
    UNLINK_IDENTITY = "unlink_identity", "Unlinked a sign-in identity"


class AuditEvent(models.Model):
    """Who did what to which run, and when: written in the same transaction as the action.

    The run is named by id, not a foreign key, so the trail outlives a purge of the run.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    actor_name = models.CharField(max_length=150, help_text="Kept when the user is deleted.")
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    task_id = models.UUIDField(null=True, blank=True, db_index=True)
    script = models.CharField(max_length=100, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["action", "-at"], name="audit_action_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action}"

    @classmethod
    def record(
        cls,
        actor: Any,
        action: str,
        *,
        task_id: uuid.UUID | str | None = None,
        script: str = "",
        **details: Any,
    ) -> "AuditEvent":
        """Write one event inside the transaction of the action it records (as
        tasks.history.audit.record does): `actor` is a user, or None for the system."""
        if actor is not None and not getattr(actor, "is_authenticated", False):
            actor = None
        name = actor.get_username() if actor is not None else details.pop("actor_name", "system")
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("AuditEvent.record() must run inside the action's transaction")
        return cls.objects.create(
            actor=actor,
            actor_name=name,
            action=AuditAction(action),
            task_id=task_id,
            script=script,
            details=details,
        )
