"""GET /tasks/<id>/poll: the polling fallback, one batch of the stream as JSON."""

import pytest

from tasks.models import Status
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


def test_it_answers_what_follows_the_offset_with_the_state(client, user):
    task = make_task(user, status=Status.RUNNING, log=[("out", b"one\n"), ("err", b"two\n")])
    client.force_login(user)
    body = client.get(f"/tasks/{task.pk}/poll/?offset=4").json()
    assert body["offset"] == 4
    assert body["next_offset"] == 8
    assert body["parts"] == [["err", "two\n"]]
    assert body["state"]["status"] == "running"
    assert body["end"] is False
    again = client.get(f"/tasks/{task.pk}/poll/?offset=8").json()
    assert (again["parts"], again["next_offset"]) == ([], 8)


def test_it_says_end_once_a_finished_runs_log_is_all_read(client, user):
    task = make_task(user, log=[("out", b"done\n")])
    client.force_login(user)
    assert client.get(f"/tasks/{task.pk}/poll/?offset=0").json()["end"] is True


def test_a_bad_offset_is_explained(client, user):
    task = make_task(user)
    client.force_login(user)
    response = client.get(f"/tasks/{task.pk}/poll/?offset=-3")
    assert response.status_code == 400
    assert "0 or more" in response.json()["error"]


def test_another_users_run_is_not_found(client, user, other_user):
    task = make_task(other_user)
    client.force_login(user)
    assert client.get(f"/tasks/{task.pk}/poll/?offset=0").status_code == 404
