"""Scoped API tokens: several named ones per user, each with an expiry and a scope.

The key is shown once, when the token is issued; the row keeps only its SHA-256 digest.
A slow password hash is not needed: the key is 32 random bytes, not a guessable password,
and a digest lets a request find its token with one indexed lookup.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_PREFIX = "exk_"  # tells a scoped key from a legacy DRF key (40 hex digits)


def digest(key):
    return hashlib.sha256(key.encode()).hexdigest()


class ScopedToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scoped_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=12, editable=False, help_text="The key's first characters."
    )
    read_only = models.BooleanField(default=False, help_text="Reads only: starts nothing.")
    scripts = models.JSONField(
        default=list,
        blank=True,
        help_text="Script keys whose runs and schedules this token may see and act on; "
        "empty: all the user may.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="scoped_token_name_per_user")
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user, name, *, expires_at=None, read_only=False, scripts=()):
        """Create a token; returns (token, key). The key exists only in this return value."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            digest=digest(key),
            prefix=key[:12],
            read_only=read_only,
            scripts=sorted(set(scripts)),
            expires_at=expires_at,
        )
        return token, key

    @classmethod
    def find(cls, key):
        return cls.objects.select_related("user").filter(digest=digest(key)).first()

    def refusal(self, now=None):
        """Why this token may not be used now, or None."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return f"This token ({self.name!r}) was revoked."
        if self.expires_at is not None and self.expires_at <= now:
            return f"This token ({self.name!r}) expired on {self.expires_at:%Y-%m-%d %H:%M} UTC."
        if not self.user.is_active:
            return "User inactive or deleted."
        return None

    def allows_script(self, script):
        return not self.scripts or script in self.scripts

    def revoke(self):
        """Guarded: True for the call that revoked it, False when it already was."""
        now = timezone.now()
        done = ScopedToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if done:
            self.revoked_at = now
        return bool(done)

    def touch(self):
        ScopedToken.objects.filter(pk=self.pk).update(last_used_at=timezone.now())
