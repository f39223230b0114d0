"""The daily retention pass: once a day, by one process, never touching active runs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks.executor import retention
from tasks.models import LogChunk, RetentionPass, Status, Task
from tasks.tests.factories import make_task, make_tasks
from tasks.tests.helpers import wait_for

OLD = 31 * 24 * 60  # minutes


@pytest.fixture
def keep_30_days(settings):
    settings.EXECUTOR_RETENTION_DAYS = 30


@pytest.mark.django_db
def test_it_does_nothing_when_retention_is_off(user):
    make_task(user, age_minutes=OLD)
    assert retention.run_due("host:1") is None
    assert Task.objects.count() == 1
    assert not RetentionPass.objects.exists()


@pytest.mark.django_db
def test_it_purges_finished_runs_older_than_the_retention(keep_30_days, user):
    old = make_task(user, age_minutes=OLD, output=b"old output\n")
    old_running = make_task(user, age_minutes=OLD, status=Status.RUNNING)
    recent = make_task(user, age_minutes=41760)
    result = retention.run_due("host:1")
    assert (result.runs, result.log_bytes, result.kept_active) == (1, 11, 1)
    assert set(Task.objects.values_list("pk", flat=True)) == {old_running.pk, recent.pk}
    assert not LogChunk.objects.filter(task_id=old.pk).exists()
    done = RetentionPass.objects.get()
    assert (done.day, done.worker, done.runs, done.log_bytes) == (
        timezone.localdate(),
        "host:1",
        1,
        11,
    )
    assert done.finished_at is not None


@pytest.mark.django_db
def test_only_one_process_does_the_days_pass(keep_30_days, user):
    make_task(user, age_minutes=OLD)
    assert retention.run_due("host:1").runs == 1
    make_task(user, age_minutes=OLD)
    # The day is claimed and done: neither another process nor the same one goes again.
    assert retention.run_due("host:2") is None
    assert retention.run_due("host:1") is None
    assert Task.objects.count() == 1
    assert RetentionPass.objects.count() == 1


@pytest.mark.django_db
def test_a_process_that_loses_the_claim_leaves_the_pass_alone(keep_30_days, user):
    make_task(user, age_minutes=OLD)
    RetentionPass.objects.create(
        day=timezone.localdate(), cutoff=retention.cutoff(30), worker="host:1"
    )
    assert retention.run_due("host:2") is None
    assert Task.objects.count() == 1


@pytest.mark.django_db
def test_the_next_day_has_its_own_pass(keep_30_days, user):
    retention.run_due("host:1")
    make_task(user, age_minutes=OLD)
    result = retention.run_due("host:2", now=timezone.now() + timedelta(days=1))
    assert result.runs == 1
    assert RetentionPass.objects.count() == 2


@pytest.mark.django_db
def test_a_small_budget_purges_a_little_at_a_time_until_the_pass_is_done(
    keep_30_days, user, monkeypatch
):
    monkeypatch.setattr("tasks.history.purging.BATCH_RUNS", 2)
    make_tasks(5, user, age_minutes=OLD)
    first = retention.run_due("host:1", budget=0)
    assert (first.runs, first.complete) == (2, False)
    assert RetentionPass.objects.get().finished_at is None
    while RetentionPass.objects.get().finished_at is None:
        retention.run_due("host:1", budget=0)
    assert not Task.objects.exists()
    assert RetentionPass.objects.get().runs == 5


@pytest.mark.django_db(transaction=True)
def test_the_thread_pools_housekeeping_runs_the_pass_by_itself(settings, user):
    settings.EXECUTOR_RETENTION_DAYS = 30
    make_task(user, age_minutes=OLD)
    kept = make_task(user)
    settings.EXECUTOR_BACKEND = "thread"
    from tasks.executor.threadpool import ThreadPoolEngine

    engine = ThreadPoolEngine(max_workers=1, poll_interval=0.05)
    engine.start()
    try:
        wait_for(
            lambda: RetentionPass.objects.filter(finished_at__isnull=False).exists(),
            message="the retention pass",
        )
    finally:
        engine.shutdown()
    assert list(Task.objects.values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.django_db
def test_the_pass_is_audited_as_the_system(keep_30_days, user):
    from tasks.models import AuditAction, AuditEvent

    make_task(user, age_minutes=OLD)
    retention.run_due("host:1")
    event = AuditEvent.objects.get(action=AuditAction.PURGE)
    assert (event.actor, event.actor_name, event.details["runs"]) == (None, "system", 1)
