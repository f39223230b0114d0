"""A user subscribes themselves (from a run's page or the notifications page), sees and
removes their subscriptions; refusals say why; the run page shows a stall."""

import pytest
from django.utils import timezone

from tasks.models import Channel, Status, Subscription
from tasks.tests.factories import make_task


@pytest.fixture
def channel(db):
    return Channel.objects.create(name="team chat", kind="apprise", target="json://127.0.0.1:9/")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_a_user_subscribes_from_a_runs_page(signed_in, user, channel):
    task = make_task(user, "fail", status=Status.FAILED)
    page = signed_in.get(f"/tasks/{task.pk}/").content.decode()
    assert "Notify me" in page
    assert "team chat" in page
    response = signed_in.post(
        "/notifications/",
        {
            "channel": channel.pk,
            "script": "fail",
            "events": ["failed", "recovered"],
            "next": f"/tasks/{task.pk}/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/tasks/{task.pk}/"
    subscription = Subscription.objects.get()
    assert (subscription.user, subscription.script) == (user, "fail")
    assert subscription.events == ["failed", "recovered"]


def test_the_page_lists_and_removes_subscriptions(signed_in, user, channel):
    signed_in.post("/notifications/", {"channel": channel.pk, "script": "", "events": ["failed"]})
    page = signed_in.get("/notifications/").content.decode()
    assert "every run you can see: failed" in page
    subscription = Subscription.objects.get()
    signed_in.post(f"/notifications/{subscription.pk}/remove/")
    assert not Subscription.objects.exists()


def test_a_user_cannot_remove_anothers_subscription(signed_in, other_user, channel):
    theirs = Subscription.objects.create(channel=channel, user=other_user, events=["failed"])
    signed_in.post(f"/notifications/{theirs.pk}/remove/")
    assert Subscription.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"events": ["failed"]}, "Choose one of the channels offered."),
        ({"channel": "ch", "events": []}, "Choose at least one event"),
        ({"channel": "ch", "events": ["failed"], "script": "secret_club"}, "no script"),
    ],
)
def test_refusals_say_why(signed_in, channel, data, message):
    if data.get("channel") == "ch":
        data["channel"] = channel.pk
    response = signed_in.post("/notifications/", data, follow=True)
    assert message in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_channel_staff_keep_to_themselves_is_not_offered(signed_in, channel):
    channel.self_service = False
    channel.save()
    assert "team chat" not in signed_in.get("/notifications/").content.decode()
    signed_in.post("/notifications/", {"channel": channel.pk, "events": ["failed"]})
    assert not Subscription.objects.exists()


def test_a_stalled_run_says_so_on_its_page_and_in_the_history(signed_in, user):
    task = make_task(user, "quiet", status=Status.RUNNING, stalled_at=timezone.now())
    assert "printed nothing since" in signed_in.get(f"/tasks/{task.pk}/").content.decode()
    assert 'class="badge stalled"' in signed_in.get("/history/").content.decode()
