"""The engine's timed housekeeping (housekeeping.py), with a stand-in for the broker:
stale runs end, lost Celery messages go out again (once), the retention pass moves on.

The same rounds against a real broker are in tasks/tests/celery/test_backend.py."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tasks.executor import housekeeping
from tasks.executor.celery_app import RUN_TASK
from tasks.models import EndReason, RetentionPass, Status, Task
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


class FakeApp:
    """Records what would have been published; `down` makes every send fail."""

    def __init__(self, down=False):
        self.sent = []
        self.down = down

    def send_task(self, name, args, queue):
        if self.down:
            raise ConnectionError("broker down")
        self.sent.append((name, args, queue))


def pending(user, **fields):
    return make_task(user, status=Status.PENDING, **fields)


def test_a_never_sent_task_is_sent_once_its_grace_is_over(user, settings):
    task = pending(user)
    app = FakeApp()
    assert housekeeping.send_lost(app) == 0  # the submitter may still be sending it
    later = timezone.now() + timedelta(seconds=2 * settings.EXECUTOR_HEARTBEAT_INTERVAL + 1)
    assert housekeeping.send_lost(app, now=later) == 1
    assert app.sent == [(RUN_TASK, [str(task.pk)], "default")]
    assert Task.objects.get(pk=task.pk).enqueued_at == later
    assert housekeeping.send_lost(app, now=later) == 0  # just sent: not again yet


def test_a_send_to_a_broker_that_is_down_puts_enqueued_at_back(user, settings):
    task = pending(user)
    later = timezone.now() + timedelta(seconds=2 * settings.EXECUTOR_HEARTBEAT_INTERVAL + 1)
    assert housekeeping.send_lost(FakeApp(down=True), now=later) == 0
    assert Task.objects.get(pk=task.pk).enqueued_at is None
    assert housekeeping.send_lost(FakeApp(), now=later) == 1


def test_running_and_finished_tasks_are_never_sent(user):
    long_ago = timezone.now() - timedelta(days=1)
    for status in (Status.RUNNING, Status.SUCCESS):
        make_task(user, status=status, created_at=long_ago, heartbeat_at=timezone.now())
    app = FakeApp()
    assert housekeeping.send_lost(app) == 0
    assert app.sent == []


def test_a_round_ends_silent_runs_sends_lost_ids_and_does_the_days_retention(user, settings):
    settings.EXECUTOR_RETENTION_DAYS = 7
    silent_since = timezone.now() - timedelta(seconds=settings.EXECUTOR_STALE_AFTER + 1)
    silent = make_task(user, status=Status.RUNNING, worker="elsewhere:1", heartbeat_at=silent_since)
    lost = pending(user, created_at=timezone.now() - timedelta(hours=1))
    old = make_task(user, created_at=timezone.now() - timedelta(days=30))
    app = FakeApp()

    housekeeping.Housekeeper(app, interval=60).run_once()

    ended = Task.objects.get(pk=silent.pk)
    assert (ended.status, ended.end_reason) == (Status.FAILED, EndReason.INTERRUPTED)
    assert app.sent == [(RUN_TASK, [str(lost.pk)], "default")]
    assert not Task.objects.filter(pk=old.pk).exists()
    assert RetentionPass.objects.get().finished_at is not None


def test_the_retention_round_does_nothing_when_retention_is_off(user, settings):
    settings.EXECUTOR_RETENTION_DAYS = 0
    make_task(user, created_at=timezone.now() - timedelta(days=3000))
    assert housekeeping.retention_round("host:1") is None
    assert Task.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_housekeeper_thread_runs_a_first_round_at_once_and_stops(user, settings):
    silent_since = timezone.now() - timedelta(seconds=settings.EXECUTOR_STALE_AFTER + 1)
    silent = make_task(user, status=Status.RUNNING, heartbeat_at=silent_since)
    keeper = housekeeping.Housekeeper(FakeApp(), interval=60)
    keeper.start()
    try:
        from tasks.tests.helpers import wait_for

        wait_for(
            lambda: Task.objects.get(pk=silent.pk).status == Status.FAILED,
            timeout=10,
            message="the first round",
        )
    finally:
        keeper.stop()
    assert not keeper._thread.is_alive()


# The engine's dependencies go one way.

ALLOWED = (
    "tasks.executor",
    "tasks.models",
    "tasks.catalog",
    "tasks.live",
    "tasks.secret_params",
    "tasks.history.purging",
    # The notifier thread sends notifications (a layer below the engine).
    "tasks.notifications",
    # The retention policy: which runs the daily pass purges (by age, count and size).
    "tasks.history.policy",
)
FORBIDDEN = ("tasks.services", "tasks.web", "tasks.api", "tasks.admin", "executor_site")


def _imports(path):
    """Every module (and `from m import name` as m.name) a file imports."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _allowed(name):
    if name.startswith(FORBIDDEN):
        return False
    if name == "tasks.history.purging" or not name.startswith("tasks."):
        return True  # Django, Celery, the standard library
    return name.startswith(ALLOWED)


def test_the_engine_imports_only_models_catalog_live_secrets_and_purging():
    engine = Path(housekeeping.__file__).parent
    wrong = {
        (path.name, name)
        for path in engine.glob("*.py")
        for name in _imports(path)
        if not _allowed(name)
    }
    assert wrong == set()


def test_the_import_check_catches_a_forbidden_import():
    assert not _allowed("tasks.services.purge")
    assert not _allowed("executor_site.celery.app")
    assert not _allowed("tasks.history.audit.record")
    assert _allowed("tasks.history.purging.PurgeResult")
