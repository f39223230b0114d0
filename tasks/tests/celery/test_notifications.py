"""With Celery, the workers raise and send notifications: a run that fails on a real
worker reaches a webhook receiver on loopback, once, signed, from the worker's notifier."""

import json

import pytest

from tasks import services
from tasks.models import Channel, Delivery, DeliveryStatus, Status, Subscription
from tasks.tests.celery import ONE_BROKER, skip_unless_postgres
from tasks.tests.helpers import wait_finished, wait_for
from tasks.tests.notifications.receivers import http_receiver

skip_unless_postgres()

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), ONE_BROKER]


def test_a_run_that_fails_on_a_worker_is_notified_by_the_worker(user, cluster, celery_backend):
    with http_receiver(codes=[500, 200]) as receiver:
        channel = Channel.objects.create(name="ops", kind="webhook", target=receiver.url)
        Subscription.objects.create(channel=channel, user=user, events=["failed"])
        task = services.execute(user, "fail")
        assert wait_finished(task.pk).status == Status.FAILED
        delivery = wait_for(
            lambda: Delivery.objects.filter(status=DeliveryStatus.SENT).first(),
            timeout=30,
            message="the worker to send the notification",
        )
    assert len(receiver.requests) == 2
    body = json.loads(receiver.requests[-1].body)
    assert (body["event"], body["run"]["id"]) == ("failed", str(task.pk))
    assert delivery.attempts == 2
