"""A user's own notification subscriptions: made from a run's page or the notifications
page, to a channel staff offer for self-service, for one script or every run they see."""

from django.db.models import QuerySet

from tasks import access
from tasks.catalog import get_catalog
from tasks.models import Channel, Event, Subscription


class SubscriptionRefused(ValueError):
    """What the user asked for cannot be: the message says why."""


def offered_channels() -> QuerySet[Channel]:
    return Channel.objects.filter(enabled=True, self_service=True).order_by("name")


def of_user(user) -> QuerySet[Subscription]:
    return Subscription.objects.filter(user=user).select_related("channel").order_by("pk")


def subscribe(user, *, channel_id, script: str, events: list[str]) -> Subscription:
    channel = offered_channels().filter(pk=channel_id).first()
    if channel is None:
        raise SubscriptionRefused("Choose one of the channels offered.")
    events = [event for event in Event.values if event in set(events)]
    if not events:
        raise SubscriptionRefused("Choose at least one event to be told of.")
    if script:
        entry = get_catalog().get(script)
        if entry is None or not access.can_run(user, entry):
            raise SubscriptionRefused(f"There is no script {script!r} you can run.")
    if channel.kind == "email" and not channel.target.strip() and not user.email:
        raise SubscriptionRefused("Your account has no e-mail address to send to.")
    subscription, _ = Subscription.objects.update_or_create(
        user=user, channel=channel, script=script, defaults={"events": events}
    )
    return subscription


def unsubscribe(user, pk) -> bool:
    deleted, _ = Subscription.objects.filter(user=user, pk=pk).delete()
    return bool(deleted)
