"""The keep pin: on a run's page and in the API, for whoever may manage the run."""

import pytest
from django.test import Client

from tasks import services
from tasks.models import Task
from tasks.tests.conftest import token_client
from tasks.tests.factories import make_task


def test_the_api_pins_and_unpins_a_run(api, user):
    task = make_task(user)
    response = api.post(f"/api/tasks/{task.pk}/keep", {"keep": True}, format="json")
    assert response.status_code == 200
    assert response.json()["success"] is True
    assert response.json()["task"]["keep"] is True
    assert Task.objects.get(pk=task.pk).keep is True
    response = api.post(f"/api/tasks/{task.pk}/keep", {"keep": False}, format="json")
    assert response.json()["task"]["keep"] is False
    # The field is on every task object.
    assert api.get(f"/api/tasks/{task.pk}").json()["task"]["keep"] is False


def test_the_api_refuses_a_keep_that_is_no_boolean(api, user):
    task = make_task(user)
    response = api.post(f"/api/tasks/{task.pk}/keep", {"keep": "yes"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": 'keep: must be true or false, as JSON: {"keep": true}',
    }
    assert Task.objects.get(pk=task.pk).keep is False


def test_another_users_run_cannot_be_pinned(user, other_user, staff):
    task = make_task(other_user)
    assert token_client(user).post(f"/api/tasks/{task.pk}/keep").status_code == 404
    # Staff see every run but manage only their own without "manage all runs".
    response = token_client(staff).post(f"/api/tasks/{task.pk}/keep")
    assert response.status_code == 403
    assert response.json()["error"] == "You can only pin your own runs."
    with pytest.raises(services.NotAllowed):
        services.set_keep(staff, task, True)


def test_the_runs_page_pins_it(user):
    task = make_task(user)
    client = Client()
    client.force_login(user)
    html = client.get(f"/tasks/{task.pk}/").content.decode()
    assert f'action="/tasks/{task.pk}/keep/"' in html
    response = client.post(f"/tasks/{task.pk}/keep/", {"keep": "1"}, follow=True)
    assert "Pinned: no purge will take this run." in response.content.decode()
    assert "data-pinned" in response.content.decode()
    assert Task.objects.get(pk=task.pk).keep is True
    client.post(f"/tasks/{task.pk}/keep/", {"keep": "0"})
    assert Task.objects.get(pk=task.pk).keep is False
