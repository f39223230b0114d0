"""The audit trail's rows: who did what to which run."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    RUN = "run", "Ran a script"
    RERUN = "rerun", "Re-ran a run"
    CANCEL = "cancel", "Cancelled a run"
    PURGE = "purge", "Purged runs"
    REVOKE_TOKEN = "revoke_token", "Revoked an API token"


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
