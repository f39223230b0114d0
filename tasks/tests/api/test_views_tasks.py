"""GET /api/tasks and /api/tasks/<id>, cancel and rerun."""

import uuid

import pytest
from django.contrib.auth.models import Permission

from tasks.models import Status, Task
from tasks.tests.conftest import token_client
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


def test_the_list_keeps_tasks_as_a_list_newest_first_with_paging_beside_it(api, user):
    old = make_task(user, age_minutes=10)
    new = make_task(user, age_minutes=1)
    body = api.get("/api/tasks").json()
    assert body["success"] is True
    assert [task["id"] for task in body["tasks"]] == [str(new.pk), str(old.pk)]
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)


def test_each_listed_run_links_to_its_own_page_log_and_files(api, user):
    """The links are reversed once per list and filled in per run."""
    runs = [make_task(user, age_minutes=minutes) for minutes in range(3)]
    listed = {task["id"]: task for task in api.get("/api/tasks").json()["tasks"]}
    for run in runs:
        task = listed[str(run.pk)]
        assert task["url"] == f"/tasks/{run.pk}/"
        assert task["log_file"] == f"/api/tasks/{run.pk}/logs/download"
        assert task["artifacts_url"] == f"/api/tasks/{run.pk}/artifacts"


def test_the_list_pages_with_next_and_previous_links(api, user):
    for minutes in range(5):
        make_task(user, age_minutes=minutes)
    first = api.get("/api/tasks?page_size=2").json()
    assert first["count"] == 5
    assert len(first["tasks"]) == 2
    second = api.get(first["next"]).json()
    assert second["previous"] is not None
    assert {task["id"] for task in second["tasks"]}.isdisjoint(
        {task["id"] for task in first["tasks"]}
    )


def test_lists_carry_short_tails_and_details_the_whole_tail(api, user):
    task = make_task(user, output=b"x" * 1000 + b"\n")
    listed = api.get("/api/tasks").json()["tasks"][0]
    assert len(listed["output"]) <= 201
    assert "argv" not in listed
    detail = api.get(f"/api/tasks/{task.pk}").json()["task"]
    assert detail["output"] == "x" * 1000 + "\n"
    assert detail["argv"] == ["/usr/bin/python3", "echo.py"]
    assert detail["log_file"] == f"/api/tasks/{task.pk}/logs/download"
    assert detail["duration"] == 2.0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=failed", {"failed-echo"}),
        ("status=failed,cancelled", {"failed-echo", "cancelled-lines"}),
        ("script=lines", {"cancelled-lines", "success-lines"}),
        ("script=lines&status=success", {"success-lines"}),
        ("q=lines", {"cancelled-lines", "success-lines"}),
        (
            "created_after=2000-01-01&created_before=2999-01-01",
            {"failed-echo", "cancelled-lines", "success-lines"},
        ),
        ("created_after=2999-01-01", set()),
    ],
)
def test_the_list_filters(api, user, query, expected):
    for status, script in [("failed", "echo"), ("cancelled", "lines"), ("success", "lines")]:
        make_task(user, script=script, status=status)
    found = {f"{t['status']}-{t['script']}" for t in api.get(f"/api/tasks?{query}").json()["tasks"]}
    assert found == expected


def test_the_list_searches_by_id_prefix(api, user):
    task = make_task(user)
    make_task(user)
    tasks = api.get(f"/api/tasks?q={str(task.pk)[:8]}").json()["tasks"]
    assert [t["id"] for t in tasks] == [str(task.pk)]


def test_the_list_orders_by_request(api, user):
    make_task(user, script="lines", age_minutes=2)
    make_task(user, script="echo", age_minutes=1)
    tasks = api.get("/api/tasks?ordering=script").json()["tasks"]
    assert [t["script"] for t in tasks] == ["echo", "lines"]
    tasks = api.get("/api/tasks?ordering=created_at").json()["tasks"]
    assert [t["script"] for t in tasks] == ["lines", "echo"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=sleeping", "status: unknown value 'sleeping'"),
        ("created_after=yesterday", "created_after: 'yesterday' is not a date"),
        ("created_before=2026-13-45", "is not a date"),
        ("ordering=secret", "ordering: unknown field 'secret'"),
        ("page=0", "Invalid page"),
        ("page=abc", "Invalid page"),
    ],
)
def test_bad_filters_get_a_clear_400_or_404(api, user, query, message):
    make_task(user)
    response = api.get(f"/api/tasks?{query}")
    assert response.status_code in (400, 404)
    assert response.json()["success"] is False
    assert message in response.json()["error"]


def test_users_see_only_their_own_runs(api, user, other_user):
    mine = make_task(user)
    theirs = make_task(other_user)
    assert [t["id"] for t in api.get("/api/tasks").json()["tasks"]] == [str(mine.pk)]
    response = api.get(f"/api/tasks/{theirs.pk}")
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": f"No task with id {theirs.pk}."}


def test_staff_and_view_all_users_see_everybodys_runs(user, other_user, staff):
    make_task(user)
    make_task(other_user)
    assert token_client(staff).get("/api/tasks").json()["count"] == 2
    other_user.user_permissions.add(Permission.objects.get(codename="view_all_runs"))
    assert token_client(other_user).get("/api/tasks").json()["count"] == 2


def test_an_unknown_or_malformed_id_is_a_404(api):
    for value in (uuid.uuid4(), "not-a-uuid", "1234", "-" * 36):
        response = api.get(f"/api/tasks/{value}")
        assert response.status_code == 404, value
        assert response.json()["success"] is False


def test_cancelling_a_pending_task_ends_it_at_once(api, user, recorded):
    task = make_task(user, status=Status.PENDING)
    body = api.post(f"/api/tasks/{task.pk}/cancel").json()
    assert body["success"] is True
    assert body["task"]["status"] == "cancelled"
    assert body["task"]["end_reason"] == "cancelled"


def test_cancelling_a_running_task_flags_it_for_its_supervisor(api, user, recorded):
    task = make_task(user, status=Status.RUNNING)
    body = api.post(f"/api/tasks/{task.pk}/cancel").json()
    assert body["task"]["status"] == "running"
    assert body["task"]["cancel_requested"] is True
    assert Task.objects.get(pk=task.pk).cancel_requested_at is not None


def test_cancelling_a_finished_task_is_a_409(api, user):
    task = make_task(user, status=Status.SUCCESS)
    response = api.post(f"/api/tasks/{task.pk}/cancel")
    assert response.status_code == 409
    assert "already ended (success)" in response.json()["error"]


def test_staff_see_but_cannot_cancel_others_runs_without_permission(user, staff, recorded):
    task = make_task(user, status=Status.RUNNING)
    client = token_client(staff)
    response = client.post(f"/api/tasks/{task.pk}/cancel")
    assert response.status_code == 403
    assert response.json() == {"success": False, "error": "You can only cancel your own runs."}
    staff.user_permissions.add(Permission.objects.get(codename="manage_all_runs"))
    assert token_client(staff).post(f"/api/tasks/{task.pk}/cancel").status_code == 200


def test_rerun_runs_the_same_script_with_the_same_parameters(api, user, recorded):
    response = api.post(
        "/api/execute",
        {"script_type": "echo", "params": {"count": 2}, "args": ["a"]},
        format="json",
    )
    original = Task.objects.get(pk=response.json()["task"]["id"])
    body = api.post(f"/api/tasks/{original.pk}/rerun").json()
    assert body["success"] is True
    assert body["warnings"] == []
    rerun = Task.objects.get(pk=body["task"]["id"])
    assert (rerun.params, rerun.args, rerun.rerun_of_id) == (
        original.params,
        original.args,
        original.pk,
    )


def test_rerun_warns_when_the_script_changed(api, user, recorded):
    response = api.post("/api/execute", {"script_type": "echo"}, format="json")
    Task.objects.filter(pk=response.json()["task"]["id"]).update(script_sha256="0" * 64)
    body = api.post(f"/api/tasks/{response.json()['task']['id']}/rerun").json()
    assert "has changed since the original run" in body["warnings"][0]


def test_rerun_of_a_script_no_longer_in_the_catalog_is_refused(api, user):
    task = make_task(user, script="retired")
    response = api.post(f"/api/tasks/{task.pk}/rerun")
    assert response.status_code == 400
    assert "Unknown script 'retired'" in response.json()["error"]
