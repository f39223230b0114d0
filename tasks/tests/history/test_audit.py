"""The audit trail: who ran, re-ran and cancelled what, written with the action itself."""

import pytest
from django.db import transaction

from tasks import services
from tasks.history import audit
from tasks.models import AuditAction, AuditEvent, Task

pytestmark = pytest.mark.django_db


def test_run_rerun_and_cancel_are_recorded_with_who_and_which(api, user):
    first = api.post("/api/execute", {"script_type": "echo"}, format="json").json()["task"]
    rerun = api.post(f"/api/tasks/{first['id']}/rerun").json()["task"]
    api.post(f"/api/tasks/{rerun['id']}/cancel")
    events = list(AuditEvent.objects.order_by("at", "pk"))
    assert [(e.action, str(e.task_id), e.actor, e.script) for e in events] == [
        (AuditAction.RUN, first["id"], user, "echo"),
        (AuditAction.RERUN, rerun["id"], user, "echo"),
        (AuditAction.CANCEL, rerun["id"], user, "echo"),
    ]
    assert events[1].details == {"original": first["id"]}
    assert events[2].details == {"status": "cancelled"}


def test_a_refused_action_leaves_no_event(api, other_user):
    task = services.execute(other_user, "echo", {}, [])
    AuditEvent.objects.all().delete()
    assert api.post(f"/api/tasks/{task.pk}/cancel").status_code == 404
    assert api.post("/api/execute", {"script_type": "nope"}, format="json").status_code == 400
    assert not AuditEvent.objects.exists()


def test_the_event_and_the_action_commit_or_fail_together(user, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the audit table is gone")

    monkeypatch.setattr(AuditEvent.objects, "create", broken)
    with pytest.raises(RuntimeError):
        services.execute(user, "echo", {}, [])
    assert not Task.objects.exists()


def test_the_trail_outlives_the_run_and_the_user(user):
    task = services.execute(user, "echo", {}, [])
    task_id = task.pk
    task.delete()
    user.delete()
    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_name, event.task_id) == (None, "alice", task_id)


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_a_bug(user):
    with pytest.raises(RuntimeError, match="inside the action's transaction"):
        audit.record(user, AuditAction.RUN)
    with transaction.atomic():
        audit.record(user, AuditAction.RUN)
    assert AuditEvent.objects.count() == 1


def test_the_admin_cannot_edit_or_delete_events(client, admin_user, user):
    services.execute(user, "echo", {}, [])
    event = AuditEvent.objects.get()
    client.force_login(admin_user)
    assert client.get("/admin/tasks/auditevent/add/").status_code == 403
    assert client.post(f"/admin/tasks/auditevent/{event.pk}/delete/").status_code == 403
    page = client.get(f"/admin/tasks/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert b'name="action"' not in page.content  # read-only: shown, not editable
