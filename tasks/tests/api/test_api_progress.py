"""The seed's clients: `progress` in the task object is always an integer (the browser client
prints it: "null%" otherwise), `progress_reported` says whether the script sent it; a
missing `script_type` names the scripts."""

import pytest

from tasks.models import Status
from tasks.tests.factories import make_task


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "stored", "progress", "reported"),
    [
        (Status.PENDING, None, 0, False),
        (Status.RUNNING, None, 0, False),
        (Status.RUNNING, 40, 40, True),
        (Status.SUCCESS, None, 100, False),
        (Status.SUCCESS, 70, 100, True),
        (Status.FAILED, None, 0, False),
        (Status.FAILED, 55, 55, True),
        (Status.CANCELLED, 0, 0, True),
    ],
)
def test_progress_is_an_integer_in_detail_and_list(api, user, status, stored, progress, reported):
    task = make_task(user, status=status, progress=stored)
    detail = api.get(f"/api/tasks/{task.pk}").json()["task"]
    listed = api.get("/api/tasks").json()["tasks"][0]
    for shown in (detail, listed):
        assert shown["progress"] == progress
        assert type(shown["progress"]) is int
        assert shown["progress_reported"] is reported


@pytest.mark.django_db
def test_the_schema_says_progress_is_an_integer(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    task = schema["components"]["schemas"]["Task"]["properties"]
    assert task["progress"]["type"] == "integer"
    assert task["progress_reported"]["type"] == "boolean"
    assert "progress" in schema["components"]["schemas"]["Task"]["required"]


@pytest.mark.django_db
def test_a_missing_script_type_is_a_400_naming_the_scripts(api):
    response = api.post("/api/execute", {"args": []}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("script_type: This field is required: the script to run, one of ")
    assert "echo" in error
    assert "lines" in error
