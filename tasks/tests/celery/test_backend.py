"""The web side of the Celery backend and the workers' housekeeping, against a real broker
(no worker consumes here, so every message stays where the test can count it)."""

from datetime import timedelta

import kombu
import pytest
from django.utils import timezone

from tasks import services
from tasks.executor.backends import get_backend
from tasks.executor.celery import Housekeeper, send_lost
from tasks.models import EndReason, Status, Task
from tasks.tests.celery import skip_unless_postgres

skip_unless_postgres()

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue(broker):
    """How many messages wait on the "default" queue; emptied first."""
    with kombu.Connection(broker) as conn:
        channel = conn.default_channel
        kombu.Queue("default", kombu.Exchange("default", "direct"), "default")(channel).declare()
        channel.queue_purge("default")

        def count():
            return channel.queue_declare("default", passive=True).message_count

        yield count


def test_submitting_sends_the_id_and_records_when(user, celery_backend, queue):
    task = services.execute(user, "echo", {}, [])

    task.refresh_from_db()
    assert task.status == Status.PENDING
    assert task.enqueued_at is not None
    assert queue() == 1


def test_the_health_check_reports_the_broker(anonymous, celery_backend):
    body = anonymous.get("/api/health").json()

    assert body["status"] == "healthy"
    assert body["engine"] == {"backend": "celery", "started": True, "broker": "ok"}


def test_the_health_check_says_when_the_broker_is_unreachable_without_its_url(
    anonymous, celery_backend, settings
):
    settings.CELERY_BROKER_URL = "redis://:hunter2@127.0.0.1:9/0"

    response = anonymous.get("/api/health")

    assert response.status_code == 200  # the site itself still answers
    assert response.json()["engine"]["broker"].startswith("unavailable: ")
    assert b"hunter2" not in response.content


def test_housekeeping_sends_a_task_whose_send_failed_once_its_grace_is_over(
    user, broker, celery_backend, queue, settings
):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # down while the task is submitted
    task = services.execute(user, "echo", {}, [])
    assert Task.objects.get(pk=task.pk).enqueued_at is None
    settings.CELERY_BROKER_URL = broker  # and back
    app = get_backend().app

    assert send_lost(app) == 0  # the submitter may still be sending it
    later = timezone.now() + timedelta(seconds=2 * settings.EXECUTOR_HEARTBEAT_INTERVAL + 1)
    assert send_lost(app, now=later) == 1

    assert Task.objects.get(pk=task.pk).enqueued_at is not None
    assert queue() == 1


def test_housekeeping_sends_again_a_task_pending_too_long_but_once_a_period(
    user, celery_backend, queue, settings
):
    task = services.execute(user, "echo", {}, [])
    first_sent = Task.objects.get(pk=task.pk).enqueued_at
    later = timezone.now() + timedelta(seconds=settings.EXECUTOR_REQUEUE_AFTER + 1)

    assert send_lost(celery_backend.app) == 0
    assert send_lost(celery_backend.app, now=later) == 1
    assert send_lost(celery_backend.app, now=later) == 0  # just sent: not again yet

    assert queue() == 2
    assert Task.objects.get(pk=task.pk).enqueued_at > first_sent


def test_housekeeping_leaves_running_and_finished_tasks_alone(user, celery_backend, queue):
    long_ago = timezone.now() - timedelta(days=1)
    for status in (Status.RUNNING, Status.SUCCESS):
        task = services.execute(user, "echo", {}, [])
        Task.objects.filter(pk=task.pk).update(
            status=status, enqueued_at=None, created_at=long_ago, heartbeat_at=timezone.now()
        )
    before = queue()

    assert send_lost(celery_backend.app) == 0
    assert queue() == before


def test_housekeeping_ends_runs_whose_worker_stopped_sending_heartbeats(
    user, celery_backend, settings
):
    task = services.execute(user, "echo", {}, [])
    silent_since = timezone.now() - timedelta(seconds=settings.EXECUTOR_STALE_AFTER + 1)
    Task.objects.filter(pk=task.pk).update(
        status=Status.RUNNING, worker="elsewhere:1", heartbeat_at=silent_since
    )

    Housekeeper(celery_backend.app).run_once()

    ended = Task.objects.get(pk=task.pk)
    assert (ended.status, ended.end_reason) == (Status.FAILED, EndReason.INTERRUPTED)


def test_housekeeping_does_the_days_retention_pass(user, celery_backend, settings):
    settings.EXECUTOR_RETENTION_DAYS = 7
    old, recent = (services.execute(user, "echo", {}, []) for _ in range(2))
    month_ago = timezone.now() - timedelta(days=30)
    Task.objects.filter(pk=old.pk).update(
        status=Status.SUCCESS, created_at=month_ago, completed_at=month_ago
    )

    Housekeeper(celery_backend.app).run_once()

    assert not Task.objects.filter(pk=old.pk).exists()
    assert Task.objects.filter(pk=recent.pk).exists()
