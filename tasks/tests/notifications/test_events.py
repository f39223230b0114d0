"""Which runs raise which events, for whom: recovery, damping, visibility, the content."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from tasks.models import ChannelKind, Delivery, EndReason, RunEvent, Status, Subscription
from tasks.notifications import content, events
from tasks.tests.factories import make_task


@pytest.fixture
def end(db):
    """end(user, script, status): a running run ended through Task.finish, and its events
    raised as the notifier raises them."""

    def finish(user, script="echo", status=Status.FAILED, **fields):
        task = make_task(user, script, status=Status.RUNNING, completed_at=None, duration=None)
        reason = EndReason.CANCELLED if status == Status.CANCELLED else EndReason.EXIT
        assert task.finish(status=status, end_reason=reason, **fields)
        assert RunEvent.objects.filter(task_id=task.pk, event="finished").exists()
        assert events.raise_pending() == 1
        return task

    return finish


def events_sent():
    return list(Delivery.objects.order_by("created_at", "pk").values_list("event", flat=True))


def test_recovery_after_two_failures_sends_exactly_one_message(user, subscribe, end):
    subscribe(user=user, events=["recovered"])
    end(user, status=Status.FAILED)
    end(user, status=Status.FAILED)
    end(user, status=Status.SUCCESS)
    end(user, status=Status.SUCCESS)
    assert events_sent() == ["recovered"]


def test_a_recovery_is_told_as_such_to_who_asked_for_successes_too(user, subscribe, end):
    subscribe(user=user, events=["succeeded", "recovered", "failed"])
    end(user, status=Status.SUCCESS)
    end(user, status=Status.FAILED)
    end(user, status=Status.SUCCESS)
    assert events_sent() == ["succeeded", "failed", "recovered"]


def test_recovery_is_per_script(user, subscribe, end):
    subscribe(user=user, events=["recovered"])
    end(user, "fail", status=Status.FAILED)
    end(user, "echo", status=Status.SUCCESS)
    assert events_sent() == []


def test_damping_holds_back_and_counts(user, subscribe, end):
    subscription = subscribe(user=user, events=["failed"], damping=3600)
    for _ in range(3):
        end(user, status=Status.FAILED)
    assert events_sent() == ["failed"]
    subscription.refresh_from_db()
    assert subscription.held_back == 2
    # The window passes: the next message says what was held back.
    Subscription.objects.filter(pk=subscription.pk).update(
        last_sent_at=timezone.now() - timedelta(hours=2)
    )
    end(user, status=Status.FAILED)
    latest = Delivery.objects.order_by("-pk").first()
    assert latest.payload["held_back"] == 2
    assert "(2 earlier message(s) held back by damping)" in latest.payload["text"]
    subscription.refresh_from_db()
    assert subscription.held_back == 0


def test_a_script_subscription_hears_only_of_its_script(user, subscribe, end):
    subscribe(user=user, events=["failed"], script="fail")
    end(user, "echo", status=Status.FAILED)
    end(user, "fail", status=Status.FAILED)
    assert list(Delivery.objects.values_list("task__script", flat=True)) == ["fail"]


def test_a_user_hears_only_of_runs_they_may_see(user, other_user, subscribe, end):
    subscribe(user=other_user, events=["failed"])
    end(user, status=Status.FAILED)
    assert events_sent() == []


def test_a_group_subscription_mails_its_members(user, other_user, subscribe, end):
    group = Group.objects.create(name="ops")
    other_user.groups.add(group)
    subscribe(group=group, kind=ChannelKind.EMAIL, events=["cancelled"])
    end(user, status=Status.CANCELLED)
    assert Delivery.objects.get().recipients == ["bob@example.com"]


def test_a_disabled_channel_sends_nothing(user, subscribe, end):
    subscription = subscribe(user=user, events=["failed"])
    subscription.channel.enabled = False
    subscription.channel.save()
    end(user, status=Status.FAILED)
    assert events_sent() == []


def test_the_message_carries_the_run_and_its_last_twenty_lines(user, settings):
    settings.EXECUTOR_BASE_URL = "https://runner.example.com/"
    lines = b"".join(b"line %d\n" % number for number in range(30))
    task = make_task(user, "fail", status=Status.FAILED, output=lines, exception="ValueError: nope")
    data = content.payload(task, "failed")
    assert data["log_tail"] == [f"line {number}" for number in range(10, 30)]
    assert data["run"]["exception"] == "ValueError: nope"
    assert data["run"]["duration_seconds"] == 2.0
    assert data["run"]["url"] == f"https://runner.example.com/tasks/{task.pk}/"
    assert data["subject"] == "fail failed"


def test_the_message_carries_the_summary_the_script_wrote(user):
    task = make_task(user, "fail", status=Status.FAILED)
    task.summary = "## Import\n\n3 of 5 files failed"
    task.save(update_fields=["summary"])
    data = content.payload(task, "failed")
    assert data["summary"] == "## Import\n\n3 of 5 files failed"
    assert "Summary:\n## Import\n\n3 of 5 files failed" in data["text"]


def test_an_end_that_is_rolled_back_raises_nothing(user, subscribe):
    subscribe(user=user, events=["failed"])
    task = make_task(user, status=Status.RUNNING, completed_at=None, duration=None)
    # As the supervisor does when its final write loses the row: the end is undone.
    with transaction.atomic():
        task.finish(status=Status.FAILED, end_reason=EndReason.EXIT)
        transaction.set_rollback(True)
    assert not RunEvent.objects.exists()
    assert events.raise_pending() == 0


def test_an_event_is_raised_once_by_racing_notifiers(transactional_db, user, subscribe):
    subscribe(user=user, events=["failed"])
    for _ in range(10):
        task = make_task(user, status=Status.RUNNING, completed_at=None, duration=None)
        task.finish(status=Status.FAILED, end_reason=EndReason.EXIT)
    start = threading.Barrier(3)

    def notifier():
        try:
            start.wait(5)
            events.raise_pending()
        finally:
            connection.close()

    threads = [threading.Thread(target=notifier) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert Delivery.objects.count() == 10
    assert Delivery.objects.values("task").distinct().count() == 10
    assert not RunEvent.objects.exists()


def test_a_stall_raises_its_event_with_the_flag(user, subscribe):
    subscribe(user=user, events=["stalled"])
    task = make_task(user, status=Status.RUNNING, completed_at=None, duration=None)
    assert task.mark_stalled()
    assert not task.mark_stalled()  # once
    events.raise_pending()
    assert events_sent() == ["stalled"]


def test_a_schedule_subscription_hears_only_of_that_schedules_runs(user, subscribe, end):
    from tasks.models import Schedule, TimetableKind

    nightly, hourly = (
        Schedule.objects.create(
            name=name, script="echo", owner=user, kind=TimetableKind.INTERVAL, interval_seconds=60
        )
        for name in ("nightly", "hourly")
    )
    subscribe(user=user, events=["failed", "recovered"], schedule=nightly)
    end(user, status=Status.FAILED, schedule=hourly)
    end(user, status=Status.FAILED)  # by hand
    assert events_sent() == []
    end(user, status=Status.FAILED, schedule=nightly)
    # The hourly schedule's success is not the nightly one's recovery.
    end(user, status=Status.SUCCESS, schedule=hourly)
    end(user, status=Status.SUCCESS, schedule=nightly)
    assert events_sent() == ["failed", "recovered"]
