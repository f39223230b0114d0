"""Sending one rendered message through a channel: Django's e-mail framework, a signed
JSON POST (requests), or Apprise. Each raises `Retry` for what may pass (5xx, 429,
timeouts, refused connections, SMTP errors) and `GiveUp` for what will not."""

import hashlib
import hmac
import json
import logging
import smtplib
import time
from typing import Any

import apprise
import requests
from django.conf import settings
from django.core.mail import EmailMessage

from tasks.models import ChannelKind, Delivery

SIGNATURE_HEADER = "X-Executor-Signature"


class Retry(Exception):
    """The attempt failed in a way a later attempt may not."""


class GiveUp(Exception):
    """The attempt failed in a way that retrying cannot fix (a 4xx, no recipients)."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Executor-Signature value: "t=<unix time>,v1=<hex HMAC-SHA256 of
    '<unix time>.' + body>". A receiver recomputes it and refuses old timestamps (replay)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def send(delivery: Delivery) -> None:
    kind = delivery.channel.kind
    if kind == ChannelKind.EMAIL:
        send_email(delivery)
    elif kind == ChannelKind.WEBHOOK:
        send_webhook(delivery)
    elif kind == ChannelKind.APPRISE:
        send_apprise(delivery)
    else:
        raise GiveUp(f"unknown channel kind {kind!r}")


def send_email(delivery: Delivery) -> None:
    if not delivery.recipients:
        raise GiveUp("no e-mail address to send to")
    data = delivery.payload
    message = EmailMessage(
        subject=f"[{settings.EXECUTOR_NOTIFY_SUBJECT_PREFIX}] {data['subject']}",
        body=data["text"],
        to=list(delivery.recipients),
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise Retry(f"{type(exc).__name__}: {exc}") from None


def send_webhook(delivery: Delivery) -> None:
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "executor-notifications/1",
        SIGNATURE_HEADER: sign(delivery.channel.secret, timestamp, body),
        "X-Executor-Event": delivery.event,
        "X-Executor-Delivery": str(delivery.pk),
    }
    try:
        response = requests.post(
            delivery.channel.target.strip(),
            data=body,
            headers=headers,
            timeout=settings.EXECUTOR_NOTIFY_TIMEOUT,
        )
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise Retry(f"{type(exc).__name__}: {exc}") from None
    except requests.RequestException as exc:
        raise GiveUp(f"{type(exc).__name__}: {exc}") from None
    _check_status(response)


def _check_status(response: Any) -> None:
    if response.status_code < 300:
        return
    message = f"HTTP {response.status_code}: {response.text[:200]}"
    if response.status_code >= 500 or response.status_code in (408, 429):
        raise Retry(message)
    raise GiveUp(message)


def send_apprise(delivery: Delivery) -> None:
    notifier = apprise.Apprise()
    urls = [line.strip() for line in delivery.channel.target.splitlines() if line.strip()]
    if not urls or not all(notifier.add(url) for url in urls):
        raise GiveUp("the channel's Apprise URLs are not valid")
    # Apprise reports only success or failure (its details go to its logger): a failure
    # may be the service's hiccup, so it is retried.
    with apprise.LogCapture(level=logging.WARNING) as log:
        ok = notifier.notify(title=delivery.payload["subject"], body=delivery.payload["text"])
    if not ok:
        raise Retry(f"Apprise could not notify: {log.getvalue().strip()[-500:] or 'no detail'}")
