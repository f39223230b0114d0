"""Runs end, and their messages reach real servers on loopback: SMTP (aiosmtpd), a signed
webhook that fails twice before it takes the message, and Apprise's json:// service."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta

import jsonschema
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from tasks import services
from tasks.models import ChannelKind, Delivery, DeliveryStatus, Event, Status
from tasks.notifications import delivery as sending
from tasks.tests.helpers import wait_finished, wait_for
from tasks.tests.notifications.receivers import http_receiver, smtp_server


def signature_ok(secret, headers, body):
    fields = dict(part.split("=", 1) for part in headers["X-Executor-Signature"].split(","))
    mac = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(mac.hexdigest(), fields["v1"])


def test_a_failed_run_is_mailed_through_a_real_smtp_server(engine, settings, user, subscribe):
    with smtp_server() as (mailbox, port):
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
            }
        }
        subscribe(user=user, kind=ChannelKind.EMAIL, events=[Event.FAILED])
        task = services.execute(user, "fail")
        assert wait_finished(task.pk).status == Status.FAILED
        wait_for(lambda: mailbox.messages, timeout=10, message="the mail")
    message = mailbox.messages[0]
    assert message.rcpt_tos == ["alice@example.com"]
    text = message.content.decode()
    assert "Subject: [executor] fail failed" in text
    assert "Exception: RuntimeError: report failed" in text
    assert "about to fail" in text  # a line of the log's tail
    assert f"https://runner.example.com/tasks/{task.pk}/" in text
    # The server has the message before the sender records it as sent.
    wait_for(lambda: Delivery.objects.get().status == DeliveryStatus.SENT, timeout=5)


def test_a_refused_mail_is_retried(db, settings, user, subscribe):
    with smtp_server(refuse=1) as (mailbox, port):
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
            }
        }
        subscription = subscribe(user=user, kind=ChannelKind.EMAIL, events=["failed"])
        Delivery.objects.create(
            channel=subscription.channel,
            event="failed",
            recipients=["alice@example.com"],
            payload={"subject": "echo failed", "text": "it failed"},
        )
        assert sending.deliver_due() == 0
        delivery = Delivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING
        assert "451" in delivery.last_error
        wait_for(lambda: sending.deliver_due(), timeout=5, message="the retry")
    assert len(mailbox.messages) == 1
    assert Delivery.objects.get().attempts == 2


def test_a_webhook_that_fails_twice_is_retried_and_delivered_once(engine, user, subscribe):
    with http_receiver(codes=[500, 500, 200]) as receiver:
        subscription = subscribe(user=user, target=receiver.url + "/in", events=["succeeded"])
        task = services.execute(user, "echo", {"greeting": "hi"})
        wait_finished(task.pk)
        delivery = wait_for(
            lambda: Delivery.objects.filter(status=DeliveryStatus.SENT).first(),
            timeout=10,
            message="the delivery to be sent",
        )
    assert [request.path for request in receiver.requests] == ["/in"] * 3
    secret = subscription.channel.secret
    assert all(signature_ok(secret, r.headers, r.body) for r in receiver.requests)
    assert len({r.headers["X-Executor-Delivery"] for r in receiver.requests}) == 1
    body = json.loads(receiver.requests[-1].body)
    # The body is what the API schema's NotificationPayload component says.
    schema = APIClient()
    schema.force_authenticate(user)
    document = schema.get("/api/schema/").json()
    payload = {"$ref": "#/components/schemas/NotificationPayload", **document}
    jsonschema.validate(body, payload)
    assert body["event"] == "succeeded"
    assert body["run"]["id"] == str(task.pk)
    assert body["run"]["trigger"] == "manual"
    assert body["run"]["user"] == "alice"
    assert delivery.attempts == 3
    assert "HTTP 500" in delivery.last_error


def test_a_wrong_secret_does_not_verify(db, user, subscribe):
    with http_receiver() as receiver:
        subscription = subscribe(user=user, target=receiver.url, events=["failed"])
        delivery = Delivery.objects.create(
            channel=subscription.channel, event="failed", payload={"event": "failed"}
        )
        assert sending.deliver_due() == 1
    request = receiver.requests[0]
    assert signature_ok(subscription.channel.secret, request.headers, request.body)
    assert not signature_ok("another secret", request.headers, request.body)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_apprise_json_url_reaches_a_loopback_receiver(engine, user, subscribe):
    with http_receiver() as receiver:
        target = receiver.url.replace("http://", "json://") + "/chat"
        subscribe(user=user, kind=ChannelKind.APPRISE, target=target, events=["failed"])
        task = services.execute(user, "exit_code", {"code": 4})
        wait_finished(task.pk)
        wait_for(lambda: receiver.requests, timeout=10, message="Apprise's POST")
    body = json.loads(receiver.requests[0].body)
    assert body["title"] == "exit_code failed"
    assert "exiting with 4" in body["message"]
    wait_for(lambda: Delivery.objects.get().status == DeliveryStatus.SENT, timeout=5)


def test_a_delivery_is_failed_for_good_after_its_tries(db, settings, user, subscribe):
    settings.EXECUTOR_NOTIFY_MAX_TRIES = 2
    settings.EXECUTOR_NOTIFY_RETRY_BASE = 0
    with http_receiver(codes=[503]) as receiver:
        subscription = subscribe(user=user, target=receiver.url, events=["failed"])
        Delivery.objects.create(channel=subscription.channel, event="failed", payload={})
        sending.deliver_due()
        sending.deliver_due()
        sending.deliver_due()
    delivery = Delivery.objects.get()
    assert len(receiver.requests) == 2
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 2
    assert delivery.last_error.startswith("HTTP 503")


def test_a_client_error_is_not_retried(db, user, subscribe):
    with http_receiver(codes=[404]) as receiver:
        subscription = subscribe(user=user, target=receiver.url, events=["failed"])
        Delivery.objects.create(channel=subscription.channel, event="failed", payload={})
        sending.deliver_due()
    assert len(receiver.requests) == 1
    assert Delivery.objects.get().status == DeliveryStatus.FAILED


def test_an_unreachable_server_is_retried_later(db, user, subscribe):
    with http_receiver() as receiver:
        url = receiver.url
    subscription = subscribe(user=user, target=url, events=["failed"])  # nobody listens now
    Delivery.objects.create(channel=subscription.channel, event="failed", payload={})
    sending.deliver_due()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at > timezone.now() - timedelta(seconds=1)
    assert "ConnectionError" in delivery.last_error


def test_racing_senders_send_a_delivery_once(transactional_db, user, subscribe):
    with http_receiver() as receiver:
        subscription = subscribe(user=user, target=receiver.url, events=["failed"])
        for _ in range(5):
            Delivery.objects.create(channel=subscription.channel, event="failed", payload={})
        start = threading.Barrier(3)

        def sender():
            try:
                start.wait(5)
                sending.deliver_due()
            finally:
                connection.close()

        threads = [threading.Thread(target=sender) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    ids = [request.headers["X-Executor-Delivery"] for request in receiver.requests]
    assert sorted(ids) == sorted(str(pk) for pk in Delivery.objects.values_list("pk", flat=True))
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_a_claim_abandoned_by_a_dead_sender_is_resumed(db, settings, user, subscribe):
    settings.EXECUTOR_NOTIFY_LEASE = 60
    with http_receiver() as receiver:
        subscription = subscribe(user=user, target=receiver.url, events=["failed"])
        now = timezone.now()
        fresh = Delivery.objects.create(
            channel=subscription.channel, event="failed", status="sending", claimed_at=now
        )
        abandoned = Delivery.objects.create(
            channel=subscription.channel,
            event="failed",
            status="sending",
            claimed_at=now - timedelta(seconds=61),
            attempts=1,
        )
        assert sending.deliver_due() == 1
    assert [r.headers["X-Executor-Delivery"] for r in receiver.requests] == [str(abandoned.pk)]
    abandoned.refresh_from_db()
    fresh.refresh_from_db()
    assert (abandoned.status, abandoned.attempts) == (DeliveryStatus.SENT, 2)
    assert fresh.status == DeliveryStatus.SENDING
