"""/api/schedules/: the verbs, the envelope, 400 naming the field, owner-or-staff."""

import pytest

from tasks.models import AuditEvent, Schedule, Task, Trigger
from tasks.services import schedules
from tasks.tests.conftest import token_client

pytestmark = pytest.mark.django_db

GOOD = {"script": "echo", "kind": "cron", "cron": "30 7 * * 1-5", "timezone": "Europe/Berlin"}


def test_create_list_pause_resume_run_now_delete(api, recorded):
    created = api.post("/api/schedules/", GOOD, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["success"] is True
    schedule = body["schedule"]
    assert schedule["timetable"] == "At 07:30, Monday through Friday (Europe/Berlin)"
    assert len(schedule["upcoming"]) == 5
    url = f"/api/schedules/{schedule['id']}/"
    assert [s["id"] for s in api.get("/api/schedules/").json()["schedules"]] == [schedule["id"]]
    assert api.post(url + "pause/").json()["schedule"]["paused"] is True
    assert api.post(url + "resume/").json()["schedule"]["paused"] is False
    ran = api.post(url + "run-now/")
    assert ran.status_code == 201
    assert Task.objects.get().trigger == Trigger.SCHEDULE
    changed = api.patch(url, {"cron": "@daily"}, format="json")
    assert changed.json()["schedule"]["cron"] == "@daily"
    assert api.delete(url).status_code == 200
    assert not Schedule.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cron": "*/0 * * * *"}, "cron"),
        ({"timezone": "Nowhere/Else"}, "timezone"),
        ({"kind": "interval", "interval_seconds": 0}, "interval_seconds"),
        ({"kind": "once", "run_at": "2001-01-01T00:00:00Z"}, "run_at"),
        ({"script": "secret_echo", "params": {"token": "t"}}, "params.token"),
        ({"script": "secret_club"}, "script"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, change, field):
    response = api.post("/api/schedules/", {**GOOD, **change}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert field in body["errors"]
    assert not Schedule.objects.exists()


def test_others_cannot_see_or_change_a_schedule(api, other_user, staff):
    schedule_id = api.post("/api/schedules/", GOOD, format="json").json()["schedule"]["id"]
    other = token_client(other_user)
    assert other.get("/api/schedules/").json()["schedules"] == []
    assert other.post(f"/api/schedules/{schedule_id}/pause/").status_code == 404
    assert token_client(staff).post(f"/api/schedules/{schedule_id}/pause/").status_code == 200


def test_the_schema_lists_the_schedules_endpoints(api):
    schema = api.get("/api/schema/").json()
    assert "/api/schedules/{id}/run-now/" in schema["paths"]


def created_url(api, data):
    created = api.post("/api/schedules/", data, format="json")
    return f"/api/schedules/{created.json()['schedule']['id']}/"


def test_patch_moves_a_schedule_to_another_script(api):
    url = created_url(api, GOOD)
    changed = api.patch(url, {"script": "lines", "params": {"count": 3}}, format="json")
    assert changed.status_code == 200, changed.content
    body = changed.json()["schedule"]
    assert (body["script"], body["params"]) == ("lines", {"count": 3, "delay": 0.0})
    event = AuditEvent.objects.get(action="schedule_change")
    assert (event.script, event.details["script_was"]) == ("lines", "echo")
    assert event.details["fields"] == ["params", "script"]


def test_patch_to_a_script_you_may_not_run_is_a_400_naming_it(api):
    url = created_url(api, GOOD)
    refused = api.patch(url, {"script": "secret_club"}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["script"]
    assert Schedule.objects.get().script == "echo"
    assert not AuditEvent.objects.filter(action="schedule_change").exists()


def test_patch_to_a_script_that_refuses_the_parameters_is_a_400_naming_them(api):
    url = created_url(api, {**GOOD, "params": {"greeting": "hi"}})
    # Without new params the saved ones are checked against the new script: lines has
    # no greeting.
    refused = api.patch(url, {"script": "lines"}, format="json")
    assert refused.status_code == 400
    assert "is not a parameter of 'lines'" in refused.json()["errors"]["params.greeting"]
    refused = api.patch(url, {"script": "lines", "params": {"count": "x"}}, format="json")
    assert list(refused.json()["errors"]) == ["params.count"]
    assert (Schedule.objects.get().script, Schedule.objects.get().params["greeting"]) == (
        "echo",
        "hi",
    )


def test_a_stored_secret_does_not_follow_the_schedule_to_another_script(api):
    stored = {**GOOD, "script": "stored_secret", "params": {"token": "tok-1"}}
    url = created_url(api, stored)
    moved = api.patch(url, {"script": "echo", "params": {}}, format="json")
    assert moved.status_code == 200, moved.content
    schedule = Schedule.objects.get()
    assert (schedule.script, schedule.sealed_secrets) == ("echo", "")
    assert "tok-1" not in str(schedules.run_params(schedule))
