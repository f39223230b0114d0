"""Inbound webhooks: a URL with a secret that starts one script's run (Hook), and the
requests it answered with a run (HookCall), kept for their idempotency keys."""

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

# A repeated Idempotency-Key (or X-GitHub-Delivery) within this window gets the same run.
IDEMPOTENCY_WINDOW = timedelta(hours=24)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class HookQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class Hook(models.Model):
    """A per-script trigger. Only a hash of its bearer token is kept (like a password);
    the token itself is shown once, when the hook is made. GitHub-style HMAC signatures
    need the same secret on both sides, so they use a separate signing key, kept as it
    is and shown to the hook's owner."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    script = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hooks"
    )
    params = models.JSONField(default=dict, blank=True, help_text="Fixed parameter values.")
    body_params = models.JSONField(
        default=list,
        blank=True,
        help_text="Names of parameters that may come from the request body's JSON object.",
    )
    token_hash = models.CharField(max_length=64, editable=False)
    signing_key = models.CharField(max_length=100, editable=False, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_called_at = models.DateTimeField(null=True, blank=True)

    objects = HookQuerySet.as_manager()

    def __str__(self):
        return f"{self.name} → {self.script}"

    @classmethod
    def create(cls, **fields) -> tuple["Hook", str]:
        """Make a hook; return it with its token (shown once, never stored)."""
        token = new_token()
        hook = cls.objects.create(token_hash=hash_token(token), signing_key=new_token(), **fields)
        return hook, token

    def token_matches(self, token: str) -> bool:
        return hmac.compare_digest(hash_token(token), self.token_hash)

    def signature_matches(self, body: bytes, signature: str) -> bool:
        """GitHub's X-Hub-Signature-256: "sha256=" and the HMAC-SHA256 of the body."""
        expected = "sha256=" + hmac.new(self.signing_key.encode(), body, "sha256").hexdigest()
        return hmac.compare_digest(expected, signature.strip())

    def revoke(self) -> bool:
        changed = Hook.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        return changed == 1


class HookCall(models.Model):
    """A call that started a run; its key makes a repeated call return the same run."""

    hook = models.ForeignKey(Hook, on_delete=models.CASCADE, related_name="calls")
    key = models.CharField(max_length=200)
    task = models.ForeignKey("tasks.Task", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hook", "key"], name="hookcall_once")]

    def __str__(self):
        return f"{self.hook_id} {self.key}"
