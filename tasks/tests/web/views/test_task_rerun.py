"""POST /tasks/<id>/rerun/: the same script with the same parameters, as a new run."""

import pytest

from tasks.models import Task
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


def test_it_starts_a_new_run_and_opens_its_page(client, user):
    task = make_task(user, params={"count": 2})
    client.force_login(user)
    response = client.post(f"/tasks/{task.pk}/rerun/")
    new = Task.objects.exclude(pk=task.pk).get()
    assert response.status_code == 302
    assert response["Location"] == f"/tasks/{new.pk}/"
    assert (new.params["count"], new.rerun_of_id) == (2, task.pk)


def test_from_the_dashboard_it_opens_the_new_run_there(client, user):
    task = make_task(user)
    client.force_login(user)
    response = client.post(f"/tasks/{task.pk}/rerun/", {"return_to": "dashboard"})
    new = Task.objects.exclude(pk=task.pk).get()
    assert response["Location"] == f"/?script=echo&run={new.pk}"


def test_a_script_gone_from_the_catalog_is_explained(client, user):
    task = make_task(user, script="retired")
    client.force_login(user)
    response = client.post(f"/tasks/{task.pk}/rerun/", follow=True)
    assert "Unknown script" in response.content.decode()
    assert Task.objects.count() == 1


def test_another_users_run_is_not_found(client, user, other_user):
    task = make_task(other_user)
    client.force_login(user)
    assert client.post(f"/tasks/{task.pk}/rerun/").status_code == 404
    assert Task.objects.count() == 1
