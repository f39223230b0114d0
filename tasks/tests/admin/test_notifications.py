"""The notification and hook admins: pages open, staff subscribe a group, failed
deliveries show their error and can be sent again, a new hook shows its token once."""

import pytest
from django.contrib.auth.models import Group, User

from tasks.models import Channel, Delivery, DeliveryStatus, Hook, Subscription


@pytest.fixture
def admin_client(client, db):
    admin = User.objects.create_superuser("root", "root@example.com", "root-password-1")
    client.force_login(admin)
    client.admin = admin
    return client


@pytest.fixture
def channel(db):
    return Channel.objects.create(name="ops mail", kind="email")


def test_the_lists_open(admin_client, channel):
    for name in ("channel", "subscription", "delivery", "hook"):
        assert admin_client.get(f"/admin/tasks/{name}/").status_code == 200
        assert admin_client.get(f"/admin/tasks/{name}/add/").status_code in (200, 403)


def test_staff_subscribe_a_group(admin_client, channel):
    group = Group.objects.create(name="ops")
    response = admin_client.post(
        "/admin/tasks/subscription/add/",
        {"channel": channel.pk, "group": group.pk, "events": ["failed", "stalled"], "damping": 0},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    subscription = Subscription.objects.get()
    assert (subscription.group, subscription.events) == (group, ["failed", "stalled"])


def test_a_subscription_needs_a_user_or_a_group(admin_client, channel):
    response = admin_client.post(
        "/admin/tasks/subscription/add/", {"channel": channel.pk, "events": ["failed"]}
    )
    assert "Choose either a user or a group" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_failed_delivery_shows_its_error_and_can_be_sent_again(admin_client, channel):
    delivery = Delivery.objects.create(
        channel=channel, event="failed", status="failed", attempts=6, last_error="HTTP 503: down"
    )
    listing = admin_client.get("/admin/tasks/delivery/?status=failed").content.decode()
    assert "HTTP 503: down" in listing
    admin_client.post(
        "/admin/tasks/delivery/", {"action": "send_again", "_selected_action": [delivery.pk]}
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)


def test_a_new_hook_shows_its_token_once_and_keeps_only_its_hash(admin_client):
    response = admin_client.post(
        "/admin/tasks/hook/add/",
        {
            "name": "ci",
            "script": "echo",
            "owner": admin_client.admin.pk,
            "params": "{}",
            "body_params": "[]",
        },
        follow=True,
    )
    page = response.content.decode()
    hook = Hook.objects.get()
    token = page.split("Authorization: Bearer ")[1].split("&#x27;")[0]
    assert hook.token_matches(token)
    assert token not in admin_client.get(f"/admin/tasks/hook/{hook.pk}/change/").content.decode()
