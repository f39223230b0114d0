"""POST /api/execute: the seed's request and response, plus typed parameters."""

from datetime import datetime

import pytest

from tasks.models import Status, Task
from tasks.tests.helpers import wait_finished

pytestmark = pytest.mark.django_db

SEED_FIELDS = {
    "id",
    "user_name",
    "script_path",
    "args",
    "status",
    "progress",
    "created_at",
    "started_at",
    "completed_at",
    "output",
    "error",
    "return_code",
    "log_file",
}


def test_it_answers_201_with_the_seeds_task_object(
    api, recorded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/execute",
            {"user_name": "John", "script_type": "echo", "args": ["a"]},
            format="json",
        )
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert set(body["task"]) >= SEED_FIELDS
    assert body["task"]["status"] == "pending"
    assert body["task"]["args"] == ["a"]
    assert body["task"]["script_path"] == "echo.py"
    assert recorded.submitted == [Task.objects.get().pk]


def test_the_user_name_is_the_signed_in_users_not_the_requests(api, user):
    response = api.post(
        "/api/execute", {"user_name": "Mallory", "script_type": "echo"}, format="json"
    )
    assert response.json()["task"]["user_name"] == "alice"
    assert Task.objects.get().user == user


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_times_are_utc_whatever_the_display_time_zone(api, settings, zone):
    settings.TIME_ZONE = zone  # DJANGO_TIME_ZONE: for the pages, not the API
    created = api.post("/api/execute", {"script_type": "echo"}, format="json").json()["task"]
    assert created["created_at"].endswith("Z")
    stored = Task.objects.get().created_at
    assert datetime.fromisoformat(created["created_at"]) == stored
    schedule = api.post(
        "/api/schedules/", {"script": "echo", "kind": "cron", "cron": "@daily"}, format="json"
    ).json()["schedule"]
    assert schedule["next_fire_at"].endswith("T00:00:00Z")  # midnight of its zone, UTC
    assert schedule["upcoming"][0] == schedule["next_fire_at"]


def test_typed_parameters_are_validated_and_recorded(api):
    response = api.post(
        "/api/execute",
        {
            "script_type": "echo",
            "params": {"count": 3, "ratio": 0.5, "loud": True, "tags": ["a", "c"]},
        },
        format="json",
    )
    assert response.status_code == 201
    task = Task.objects.get()
    assert task.params == {
        "greeting": "hello",
        "count": 3,
        "ratio": 0.5,
        "loud": True,
        "tags": ["a", "c"],
    }
    assert task.script_args == [
        "--greeting=hello",
        "--count=3",
        "0.5",
        "--loud",
        "--tag=a",
        "--tag=c",
    ]


@pytest.mark.django_db(transaction=True)
def test_execute_then_follow_the_logs_to_success(api, engine):
    response = api.post(
        "/api/execute", {"script_type": "lines", "params": {"count": 3}}, format="json"
    )
    task_id = response.json()["task"]["id"]
    wait_finished(task_id)
    detail = api.get(f"/api/tasks/{task_id}").json()["task"]
    assert detail["status"] == Status.SUCCESS
    assert detail["progress"] == 100
    assert detail["return_code"] == 0
    assert detail["output"] == "[1/3] line 1\n[2/3] line 2\n[3/3] line 3\n"
    logs = api.get(f"/api/tasks/{task_id}/logs").json()
    assert logs == {
        "success": True,
        "logs": "[1/3] line 1\n[2/3] line 2\n[3/3] line 3\n",
        "offset": 0,
        "next_offset": 39,
        "complete": True,
        "log_bytes": 39,
        "dropped_bytes": 0,
        "status": "success",
    }


@pytest.mark.django_db(transaction=True)
def test_the_answer_shows_the_run_as_started_when_a_slot_was_free(api, engine):
    response = api.post("/api/execute", {"script_type": "sleeper"}, format="json")
    task = response.json()["task"]
    assert task["status"] == "running"
    assert task["started_at"] is not None
    api.post(f"/api/tasks/{task['id']}/cancel")
    wait_finished(task["id"])
