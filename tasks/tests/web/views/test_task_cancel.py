"""POST /tasks/<id>/cancel/: from the form (redirect) or from the page's script (JSON)."""

import pytest

from tasks.models import Status, Task
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


def test_the_owner_cancels_a_pending_run(client, user):
    task = make_task(user, status=Status.PENDING)
    client.force_login(user)
    response = client.post(f"/tasks/{task.pk}/cancel/")
    assert response.status_code == 302
    assert response["Location"] == f"/tasks/{task.pk}/"
    assert Task.objects.get(pk=task.pk).status == Status.CANCELLED


def test_the_page_script_gets_the_new_state_as_json(client, user):
    task = make_task(user, status=Status.RUNNING)
    client.force_login(user)
    response = client.post(f"/tasks/{task.pk}/cancel/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["state"]["cancel_requested"] is True


def test_cancelling_from_the_dashboard_returns_there(client, user):
    task = make_task(user, status=Status.PENDING)
    client.force_login(user)
    response = client.post(f"/tasks/{task.pk}/cancel/", {"return_to": "dashboard"})
    assert response["Location"] == f"/?script=echo&run={task.pk}"


def test_a_finished_run_cannot_be_cancelled(client, user):
    task = make_task(user, status=Status.SUCCESS)
    client.force_login(user)
    response = client.post(f"/tasks/{task.pk}/cancel/", HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    assert "already ended" in response.json()["error"]
    response = client.post(f"/tasks/{task.pk}/cancel/", follow=True)
    assert "already ended" in response.content.decode()


def test_a_viewer_who_may_not_manage_the_run_is_refused(client, staff, user):
    task = make_task(user, status=Status.RUNNING)
    client.force_login(staff)
    response = client.post(f"/tasks/{task.pk}/cancel/", HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert Task.objects.get(pk=task.pk).cancel_requested_at is None


def test_another_users_run_is_not_found(client, user, other_user):
    task = make_task(other_user, status=Status.RUNNING)
    client.force_login(user)
    assert client.post(f"/tasks/{task.pk}/cancel/").status_code == 404
    assert Task.objects.get(pk=task.pk).cancel_requested_at is None


def test_it_refuses_get(client, user):
    task = make_task(user, status=Status.RUNNING)
    client.force_login(user)
    assert client.get(f"/tasks/{task.pk}/cancel/").status_code == 405
