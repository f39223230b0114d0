"""The admin's cancel and purge actions: through the services, with confirmation and
a record in the admin's history."""

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Permission

from tasks.models import LogChunk, Status, Task
from tasks.tests.factories import make_task, make_tasks

pytestmark = pytest.mark.django_db

URL = "/admin/tasks/task/"


def act(client, action, tasks, url=URL, **extra):
    data = {"action": action, "_selected_action": [str(task.pk) for task in tasks], **extra}
    return client.post(url, data, follow=True)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def staff_with(client, staff, *codenames):
    staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(staff)
    return client


def test_cancel_stops_the_selected_runs_through_the_service(admin_client, user, recorded):
    running = make_task(user, status=Status.RUNNING)
    pending = make_task(user, status=Status.PENDING)
    done = make_task(user)
    response = act(admin_client, "cancel_selected", [running, pending, done])
    assert "Cancelling 2 runs." in messages_of(response)
    assert "1 run had already ended; there was nothing to cancel." in messages_of(response)
    running.refresh_from_db()
    pending.refresh_from_db()
    assert running.cancel_requested_at is not None
    assert pending.status == Status.CANCELLED
    entries = LogEntry.objects.filter(action_flag=CHANGE)
    assert {entry.object_id for entry in entries} == {str(running.pk), str(pending.pk)}
    assert all(entry.change_message == "Cancelled from the admin." for entry in entries)


def test_cancel_from_a_runs_own_page(admin_client, user, recorded):
    running = make_task(user, status=Status.RUNNING)
    page = f"{URL}{running.pk}/change/"
    response = admin_client.post(
        page,
        {"CHANGE_FORM-action": "cancel_selected", "_selected_action": str(running.pk)},
        follow=True,
    )
    assert "Cancelling 1 run." in messages_of(response)
    running.refresh_from_db()
    assert running.cancel_requested_at is not None


def test_staff_without_manage_all_cannot_cancel_others_runs(client, staff, other_user, recorded):
    client = staff_with(client, staff, "view_task")
    theirs = make_task(other_user, status=Status.RUNNING)
    response = act(client, "cancel_selected", [theirs])
    assert messages_of(response) == ["1 run not cancelled: You can only cancel your own runs."]
    theirs.refresh_from_db()
    assert theirs.cancel_requested_at is None
    assert not LogEntry.objects.exists()


def test_purge_asks_first_saying_how_many_runs_and_bytes_will_go(admin_client, user):
    done = make_task(user, output=b"x" * 1_500_000)
    failed = make_task(user, script="lines", status=Status.FAILED, output=b"y" * 500_000)
    running = make_task(user, status=Status.RUNNING)
    response = act(admin_client, "purge_selected", [done, failed, running])
    assert response.status_code == 200
    html = response.content.decode()
    assert "This removes <strong>2 runs</strong>" in html
    assert "<strong>1.9\xa0MB of logs</strong>" in html
    assert "1 selected run is still pending or running and will be kept" in html
    assert 'name="confirm" value="yes"' in html
    assert Task.objects.count() == 3


def test_confirming_the_purge_deletes_the_runs_and_logs_and_keeps_running_ones(
    admin_client, user, admin_user
):
    done = make_task(user, output=b"x" * 2000)
    running = make_task(user, status=Status.RUNNING, output=b"live\n")
    response = act(admin_client, "purge_selected", [done, running], confirm="yes")
    assert "Purged 1 run and 2.0\xa0KB of logs." in messages_of(response)
    assert "Kept 1 run still pending or running; cancel it first to purge it." in messages_of(
        response
    )
    assert list(Task.objects.values_list("pk", flat=True)) == [running.pk]
    assert list(LogChunk.objects.values_list("task_id", flat=True)) == [running.pk]
    entry = LogEntry.objects.get(action_flag=DELETION)
    assert entry.user == admin_user
    assert entry.object_repr == "1 run, 2.0\xa0KB of logs"
    assert entry.change_message == "Purged 1 run, 2.0\xa0KB of logs: 1 echo (success)."


def test_the_confirmation_page_posts_back_the_same_selection(admin_client, user):
    chosen = make_task(user)
    other = make_task(user)
    response = act(admin_client, "purge_selected", [chosen])
    form = {name: value for name, value in response.context["hidden"] if name != "_selected_action"}
    selected = [value for name, value in response.context["hidden"] if name == "_selected_action"]
    assert form == {"action": "purge_selected"}
    assert selected == [str(chosen.pk)]
    admin_client.post(URL, {**form, "_selected_action": selected, "confirm": "yes"})
    assert list(Task.objects.values_list("pk", flat=True)) == [other.pk]


def test_purging_everything_a_filter_selects_over_10000_runs(admin_client, user, other_user):
    make_tasks(6000, user, log_size=100)
    failed = make_tasks(4000, other_user, status=Status.FAILED, log_size=100, age_minutes=2880)
    make_tasks(3, user, status=Status.RUNNING)
    # "Select all 4,000": the browser sends the page's boxes and select_across.
    page = f"{URL}?status__exact=failed"
    on_page = failed[:50]
    response = act(admin_client, "purge_selected", on_page, url=page, select_across="1", index=0)
    assert "This removes <strong>4000 runs</strong>" in response.content.decode()
    response = act(
        admin_client, "purge_selected", on_page, url=page, select_across="1", confirm="yes"
    )
    assert "Purged 4,000 runs and 390.6\xa0KB of logs." in messages_of(response)
    assert Task.objects.count() == 6003
    assert Task.objects.filter(status=Status.FAILED).count() == 0
    assert LogChunk.objects.count() == 6000


def test_purge_from_a_runs_own_page_goes_back_to_the_list(admin_client, user):
    done = make_task(user)
    page = f"{URL}{done.pk}/change/"
    data = {"CHANGE_FORM-action": "purge_selected", "_selected_action": str(done.pk)}
    response = admin_client.post(page, data)
    assert "This removes <strong>1 run</strong>" in response.content.decode()
    assert ("CHANGE_FORM-action", "purge_selected") in response.context["hidden"]
    response = admin_client.post(page, {**data, "confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"] == URL
    assert not Task.objects.exists()


def test_purge_needs_the_delete_permission(client, staff, user):
    client = staff_with(client, staff, "view_task")
    done = make_task(user)
    response = client.get(URL)
    assert "purge_selected" not in dict(response.context["action_form"].fields["action"].choices)
    response = act(client, "purge_selected", [done], confirm="yes")
    assert Task.objects.count() == 1


def test_staff_without_manage_all_cannot_purge_others_runs(client, staff, other_user):
    client = staff_with(client, staff, "view_task", "delete_task")
    theirs = make_task(other_user)
    response = act(client, "purge_selected", [theirs], confirm="yes")
    assert messages_of(response) == [
        "You can only purge your own runs, and the selection includes other users' runs."
    ]
    assert Task.objects.count() == 1
    assert not LogEntry.objects.exists()
