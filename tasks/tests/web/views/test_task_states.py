"""GET /tasks/states: the live state of the runs a table shows."""

import pytest

from tasks.models import Status
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


def test_it_answers_the_state_of_visible_runs_only(client, user, other_user):
    mine = make_task(user, status=Status.RUNNING, progress=40, progress_message="<b>x</b>")
    theirs = make_task(other_user, status=Status.RUNNING)
    client.force_login(user)
    response = client.get(f"/tasks/states/?id={mine.pk}&id={theirs.pk}&id=junk")
    assert response.status_code == 200
    states = response.json()["tasks"]
    assert list(states) == [str(mine.pk)]
    assert states[str(mine.pk)]["status"] == "running"
    assert states[str(mine.pk)]["progress"] == 40
    assert states[str(mine.pk)]["progress_message"] == "<b>x</b>"  # text; the page escapes


def test_anonymous_visitors_get_nothing(client, user):
    task = make_task(user)
    response = client.get(f"/tasks/states/?id={task.pk}")
    assert response.status_code == 302
    assert str(task.pk) not in response.content.decode()
