"""services.purge and purging.purge: what they delete, never delete, and who may ask."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks import services
from tasks.history import purging
from tasks.models import AuditAction, AuditEvent, LogChunk, Status, Task
from tasks.tests.factories import make_task, make_tasks

pytestmark = pytest.mark.django_db


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    # Permissions are cached on the user object; a fresh copy sees the new ones.
    return type(user).objects.get(pk=user.pk)


def test_it_deletes_finished_runs_with_their_logs_and_counts_them(user):
    done = make_task(user, output=b"a" * 100_000)
    failed = make_task(user, status=Status.FAILED, output=b"b" * 10)
    result = services.purge(None, Task.objects.all())
    assert (result.runs, result.log_bytes, result.kept_active) == (2, 100_010, 0)
    assert not Task.objects.filter(pk__in=[done.pk, failed.pk]).exists()
    assert not LogChunk.objects.exists()
    assert result.breakdown == {("echo", "success"): [1, 100_000], ("echo", "failed"): [1, 10]}


def test_it_never_deletes_pending_or_running_runs(user):
    running = make_task(user, status=Status.RUNNING, output=b"live\n")
    pending = make_task(user, status=Status.PENDING)
    make_task(user, status=Status.CANCELLED)
    result = services.purge(None, Task.objects.all())
    assert (result.runs, result.kept_active) == (1, 2)
    assert set(Task.objects.values_list("pk", flat=True)) == {running.pk, pending.pk}
    assert LogChunk.objects.filter(task=running).count() == 1


def test_a_batch_checks_the_status_again_inside_its_transaction(user):
    # Whatever chose the batch, a run that is active when the batch runs stays.
    running = make_task(user, status=Status.RUNNING)
    done = make_task(user)
    result = purging.PurgeResult()
    assert purging._delete_batch([running.pk, done.pk], result)[0] == 1
    assert list(Task.objects.values_list("pk", flat=True)) == [running.pk]
    assert result.runs == 1


def test_a_dry_run_counts_and_deletes_nothing(user):
    make_task(user, output=b"x" * 5000, log_dropped_bytes=0)
    make_task(user, script="lines", status=Status.FAILED, output=b"y" * 300)
    make_task(user, status=Status.RUNNING)
    result = services.purge(None, Task.objects.all(), dry_run=True)
    assert (result.runs, result.log_bytes, result.kept_active, result.dry_run) == (
        2,
        5300,
        1,
        True,
    )
    assert result.breakdown == {("echo", "success"): [1, 5000], ("lines", "failed"): [1, 300]}
    assert Task.objects.count() == 3
    assert LogChunk.objects.count() == 2


def test_log_bytes_count_what_is_stored_not_what_the_cap_dropped(user):
    task = make_task(user, output=b"z" * 1000)
    Task.objects.filter(pk=task.pk).update(log_bytes=51_000, log_dropped_bytes=50_000)
    assert services.purge(None, Task.objects.all(), dry_run=True).log_bytes == 1000
    assert services.purge(None, Task.objects.all()).log_bytes == 1000


def test_it_works_in_batches_of_runs_and_of_log_bytes(user):
    make_tasks(5, user, log_size=1000)
    assert services.purge(None, Task.objects.all(), batch_runs=2).batches == 3
    make_tasks(4, user, log_size=1000)
    # Each run's log alone fills a batch's byte budget: one run per transaction.
    result = services.purge(None, Task.objects.all(), batch_bytes=1500)
    assert (result.runs, result.batches) == (4, 4)
    assert result.longest_transaction > 0
    assert not Task.objects.exists()


def test_a_deadline_stops_it_after_the_current_batch_and_it_can_go_on(user):
    make_tasks(5, user)
    first = services.purge(None, Task.objects.all(), batch_runs=2, deadline=time.monotonic())
    assert (first.runs, first.complete) == (2, False)
    rest = services.purge(None, Task.objects.all(), batch_runs=2)
    assert (rest.runs, rest.complete) == (3, True)


def test_a_deadline_after_the_last_batch_reports_it_complete(user):
    make_tasks(2, user)
    result = services.purge(None, Task.objects.all(), batch_runs=2, deadline=time.monotonic())
    assert (result.runs, result.complete) == (2, True)


def test_a_purged_original_leaves_its_reruns_in_place(user):
    original = make_task(user)
    again = make_task(user, status=Status.RUNNING, rerun_of=original)
    services.purge(None, Task.objects.filter(pk=original.pk))
    again.refresh_from_db()
    assert again.rerun_of is None


def test_it_takes_the_history_filters_as_a_selection(user, other_user):
    make_tasks(3, user, status=Status.FAILED, age_minutes=57600)
    make_tasks(2, user, status=Status.SUCCESS, age_minutes=57600)
    make_tasks(2, other_user, status=Status.FAILED)
    result = services.purge(None, {"status": "failed", "created_before": "2000-01-01"})
    assert result.runs == 0
    cutoff = (Task.objects.order_by("created_at").last().created_at - timedelta(days=1)).isoformat()
    result = services.purge(None, {"status": "failed", "created_before": cutoff})
    assert result.runs == 3
    assert Task.objects.filter(status=Status.FAILED).count() == 2


def test_a_bad_filter_is_an_invalid_request():
    with pytest.raises(services.InvalidRequest, match="status: unknown value 'lost'"):
        services.purge(None, {"status": "lost"})


def test_a_user_needs_the_delete_permission(user):
    make_task(user)
    with pytest.raises(services.NotAllowed, match="not allowed to purge"):
        services.purge(user, Task.objects.all())
    assert Task.objects.count() == 1


def test_a_user_may_purge_only_their_own_runs_without_manage_all(user, other_user):
    mine = make_task(user)
    theirs = make_task(other_user)
    user = grant(user, "delete_task")
    with pytest.raises(services.NotAllowed, match="only purge your own runs"):
        services.purge(user, Task.objects.all())
    assert services.purge(user, Task.objects.filter(pk=mine.pk)).runs == 1
    user = grant(user, "manage_all_runs")
    assert services.purge(user, Task.objects.filter(pk=theirs.pk)).runs == 1


def test_runs_of_deleted_users_count_as_others_runs(user):
    make_task(None)
    user = grant(user, "delete_task")
    with pytest.raises(services.NotAllowed):
        services.purge(user, Task.objects.all())


def test_a_superuser_may_purge_anything(admin_user, user):
    make_task(user)
    make_task(None)
    assert services.purge(admin_user, Task.objects.all()).runs == 2


@pytest.mark.django_db(transaction=True)
def test_on_its_own_it_gives_other_writers_room_between_batches(user):
    if connection.vendor != "sqlite":
        pytest.skip("WAL checkpoints between batches are for SQLite's single writer")
    make_tasks(3, user)
    with CaptureQueriesContext(connection) as queries:
        result = services.purge(None, Task.objects.all(), batch_runs=1)
    checkpoints = [q for q in queries if q["sql"] == "PRAGMA wal_checkpoint(PASSIVE)"]
    assert (result.batches, len(checkpoints)) == (3, 3)
    assert not Task.objects.exists()


def test_each_batch_leaves_an_audit_event_with_what_it_removed(admin_user, user):
    make_tasks(3, user, log_size=100)
    make_tasks(2, user, script="lines", status=Status.FAILED, log_size=10)
    services.purge(admin_user, Task.objects.order_by("created_at"), batch_runs=3)
    events = list(AuditEvent.objects.filter(action=AuditAction.PURGE).order_by("at", "pk"))
    assert [(e.actor_name, e.details["runs"]) for e in events] == [("root", 3), ("root", 2)]
    assert sum(e.details["log_bytes"] for e in events) == 320
    assert sum(sum(e.details["scripts"].values()) for e in events) == 5


def test_a_purge_by_the_system_is_audited_as_the_system(user):
    make_task(user)
    services.purge(None, Task.objects.all())
    event = AuditEvent.objects.get(action=AuditAction.PURGE)
    assert (event.actor, event.actor_name, event.script) == (None, "system", "echo")
    assert event.details == {"runs": 1, "log_bytes": 0, "scripts": {"echo": 1}}


def test_a_dry_run_or_an_empty_purge_is_not_audited(user):
    make_task(user, status=Status.RUNNING)
    services.purge(None, Task.objects.all(), dry_run=True)
    services.purge(None, Task.objects.all())
    assert not AuditEvent.objects.exists()


def test_purging_purge_records_the_same_trail_without_services(user):
    """The engine's retention pass calls purging.purge directly (no access checks)."""
    make_tasks(2, user, log_size=10)
    result = purging.purge(None, Task.objects.all(), batch_runs=1)
    events = list(AuditEvent.objects.filter(action=AuditAction.PURGE).order_by("at", "pk"))
    assert result.runs == 2
    assert [(e.actor, e.actor_name, e.script, e.details) for e in events] == [
        (None, "system", "echo", {"runs": 1, "log_bytes": 10, "scripts": {"echo": 1}})
    ] * 2


@pytest.mark.django_db(transaction=True)
def test_the_audit_record_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the action's transaction"):
        AuditEvent.record(None, AuditAction.PURGE)
