"""Notifications: where messages go (Channel), who wants which (Subscription), and each
message on its way (Delivery), a row claimed by compare-and-set so it is sent once."""

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class ChannelKind(models.TextChoices):
    # Django's e-mail framework (EMAIL_URL or EMAIL_*): to `target`'s addresses, or
    # to the subscriber's (a user's address, a group's members') when it is empty.
    EMAIL = "email", "E-mail"
    # A JSON POST to `target`, signed with the channel's secret (X-Executor-Signature).
    WEBHOOK = "webhook", "Webhook"
    # One or more Apprise URLs in `target` (slack://, tgram://, ntfy://, json://, ...).
    APPRISE = "apprise", "Apprise (chat services)"


class Event(models.TextChoices):
    FAILED = "failed", "failed"
    SUCCEEDED = "succeeded", "succeeded"
    # The first success of a script after one or more failures.
    RECOVERED = "recovered", "recovered"
    CANCELLED = "cancelled", "cancelled"
    # Printed nothing for its `stall_after` seconds.
    STALLED = "stalled", "stalled"
    # Still running at three times its usual duration.
    OVERRAN = "overran", "overran"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Channel(models.Model):
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    target = models.TextField(
        blank=True,
        help_text="E-mail: addresses, one a line (empty: the subscriber's). Webhook: the URL. "
        "Apprise: URLs, one a line.",
    )
    secret = models.CharField(
        max_length=100, default=new_secret, help_text="Webhook: the key of its HMAC signature."
    )
    enabled = models.BooleanField(default=True)
    # Offered to users on the pages; otherwise only staff subscribe to it in the admin.
    self_service = models.BooleanField(
        default=True, help_text="Users may subscribe themselves to it."
    )

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"


class Subscription(models.Model):
    """Which runs (a script, a schedule's, or every run the subscriber may see), which
    events, where. With a schedule, only the runs that schedule fired are told, and
    "recovered" compares with that schedule's earlier runs."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="subscriptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_subscriptions",
    )
    group = models.ForeignKey(
        "auth.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    script = models.CharField(
        max_length=100, blank=True, help_text="Empty: every run the subscriber may see."
    )
    schedule = models.ForeignKey(
        "tasks.Schedule",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        help_text="Only the runs this schedule fired (empty: however they started).",
    )
    events = models.JSONField(default=list, help_text="Event names: failed, recovered, ...")
    damping = models.PositiveIntegerField(
        default=0, help_text="Seconds: at most one message per this window (0: every event)."
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Damping's state: when the last message was let through, and how many were held
    # back since (told in the next message).
    last_sent_at = models.DateTimeField(null=True, blank=True)
    held_back = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True)
                | Q(user__isnull=True, group__isnull=False),
                name="subscription_user_or_group",
            )
        ]

    def __str__(self):
        who = self.user or self.group
        return f"{who}: {self.script or 'all runs'} → {self.channel}"

    def admit(self, now: datetime | None = None) -> int | None:
        """Let one message through if the damping window allows it: return how many were
        held back before it (and start a new window), or None when this one is held back
        (and counted). A compare-and-set on the window, so concurrent events count right."""
        now = now or timezone.now()
        rows = Subscription.objects.filter(pk=self.pk)
        for _ in range(5):
            current = rows.values_list("last_sent_at", "held_back").first()
            if current is None:
                return None
            last, held = current
            if self.damping and last is not None and now < last + timedelta(seconds=self.damping):
                if rows.filter(last_sent_at=last).update(held_back=F("held_back") + 1):
                    return None
                continue
            if rows.filter(last_sent_at=last, held_back=held).update(last_sent_at=now, held_back=0):
                return held
        return None


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    # Claimed by a sender; back to claimable when its lease runs out (the sender died).
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class DeliveryQuerySet(models.QuerySet):
    def claimable(self, now: datetime | None = None) -> "DeliveryQuerySet":
        now = now or timezone.now()
        lease = now - timedelta(seconds=settings.EXECUTOR_NOTIFY_LEASE)
        return self.filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, claimed_at__lt=lease)
        )

    def claim(self, pk: Any, now: datetime | None = None) -> bool:
        """Take one delivery for sending; False when another sender has it."""
        now = now or timezone.now()
        return (
            self.claimable(now)
            .filter(pk=pk)
            .update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
            == 1
        )


class Delivery(models.Model):
    """One message for one subscription, rendered when its event was raised."""

    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    task = models.ForeignKey(
        "tasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.CharField(max_length=10, choices=Event.choices)
    recipients = models.JSONField(default=list, help_text="E-mail addresses, for e-mail.")
    payload = models.JSONField(default=dict, help_text="What is sent (see the README).")
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self):
        return f"{self.event} → {self.channel_id} ({self.status})"

    def _update_if_sending(self, **fields: Any) -> bool:
        changed = Delivery.objects.filter(
            pk=self.pk, status=DeliveryStatus.SENDING, claimed_at=self.claimed_at
        ).update(**fields)
        if changed:
            for name, value in fields.items():
                setattr(self, name, value)
        return changed == 1

    def mark_sent(self) -> bool:
        return self._update_if_sending(status=DeliveryStatus.SENT, sent_at=timezone.now())

    def mark_failed(self, error: str, retry_at: datetime | None) -> bool:
        """Record a failed attempt: pending again at `retry_at`, or failed for good."""
        if retry_at is None:
            return self._update_if_sending(status=DeliveryStatus.FAILED, last_error=error[:2000])
        return self._update_if_sending(
            status=DeliveryStatus.PENDING, next_attempt_at=retry_at, last_error=error[:2000]
        )
