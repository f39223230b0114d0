"""Sending the due deliveries, each claimed by compare-and-set so that of several
processes only one sends it; a failed attempt is retried with exponential backoff up to
EXECUTOR_NOTIFY_MAX_TRIES, then the delivery is failed for good (the admin shows it).

A sender that dies mid-send leaves its delivery "sending"; once the claim's lease
(EXECUTOR_NOTIFY_LEASE) has run out any process takes it again, so a restart resumes
every pending delivery (a message cut off mid-send may then arrive twice: at least once
is the promise for a sender killed at that instant, exactly once otherwise).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from tasks.models import Delivery
from tasks.notifications import senders

logger = logging.getLogger(__name__)

BATCH = 50


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: base, 2 x base, 4 x base, ..."""
    seconds = settings.EXECUTOR_NOTIFY_RETRY_BASE * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, 3600))


def deliver_due(now: datetime | None = None, limit: int = BATCH) -> int:
    """Send the deliveries that are due; return how many were sent."""
    due = (
        Delivery.objects.claimable(now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in list(due):
        if Delivery.objects.claim(pk):
            delivery = Delivery.objects.select_related("channel").get(pk=pk)
            sent += attempt(delivery)
    return sent


def attempt(delivery: Delivery) -> bool:
    """One try at a claimed delivery; True when it was sent."""
    try:
        senders.send(delivery)
    except senders.GiveUp as exc:
        logger.warning("delivery %s failed for good: %s", delivery.pk, exc)
        delivery.mark_failed(str(exc), None)
        return False
    except Exception as exc:
        # senders.Retry, or anything unexpected: both may pass, both are bounded.
        error = str(exc) if isinstance(exc, senders.Retry) else f"{type(exc).__name__}: {exc}"
        if delivery.attempts >= settings.EXECUTOR_NOTIFY_MAX_TRIES:
            logger.warning(
                "delivery %s failed after %d tries: %s", delivery.pk, delivery.attempts, error
            )
            delivery.mark_failed(error, None)
        else:
            delivery.mark_failed(error, timezone.now() + backoff(delivery.attempts))
        return False
    delivery.mark_sent()
    return True
