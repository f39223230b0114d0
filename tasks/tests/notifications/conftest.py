import pytest

from tasks.models import Channel, ChannelKind, Subscription


@pytest.fixture(autouse=True)
def fast_notifications(settings):
    settings.EXECUTOR_NOTIFY_INTERVAL = 0.05
    settings.EXECUTOR_NOTIFY_RETRY_BASE = 0.05
    settings.EXECUTOR_NOTIFY_TIMEOUT = 5
    settings.EXECUTOR_BASE_URL = "https://runner.example.com"


@pytest.fixture
def subscribe(db):
    """subscribe(user=..., kind=..., target=..., events=[...], script="", damping=0)."""

    def make(*, user=None, group=None, kind=ChannelKind.WEBHOOK, target="", events, **fields):
        channel = Channel.objects.create(
            name=f"{kind} {Channel.objects.count()}", kind=kind, target=target
        )
        return Subscription.objects.create(
            channel=channel, user=user, group=group, events=list(events), **fields
        )

    return make
