"""A token limited to some scripts sees and touches only their runs and schedules, over
every way in that takes a token; a read-only token writes nothing. Each refusal is a 403
naming the token and what it may touch, logged at WARNING without the key."""

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tasks import services
from tasks.models import Artifact, Schedule, ScopedToken, Task
from tasks.services import schedules as schedule_service
from tasks.tests.factories import make_task
from tasks.tests.helpers import wait_finished

CRON = {"kind": "cron", "cron": "30 7 * * 1-5", "timezone": "UTC"}
OUT_OF_SCOPE = "This token ('deploy') may act only on the scripts echo, files, not 'lines'."


def client_for(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def scoped(user):
    token, key = ScopedToken.issue(user, "deploy", scripts=["echo", "files"])
    return token, key, client_for(key)


@pytest.fixture
def schedules(user):
    mine = schedule_service.create(user, {"script": "echo", "name": "echo daily", **CRON})
    other = schedule_service.create(user, {"script": "lines", "name": "lines daily", **CRON})
    return mine, other


def refused_with(response, message=OUT_OF_SCOPE):
    assert response.status_code == 403, response.content
    assert response.json() == {"success": False, "error": message}


def assert_logged(caplog, token, key):
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings, "the refusal was not logged"
    text = " ".join(record.getMessage() for record in warnings)
    assert "'deploy'" in text
    assert token.prefix in text
    assert "alice" in text
    assert key not in text


# --- schedules ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schedule_list_shows_only_schedules_of_the_tokens_scripts(scoped, schedules):
    _, _, client = scoped
    listed = client.get("/api/schedules/").json()["schedules"]
    assert [item["script"] for item in listed] == ["echo"]
    assert client.get(f"/api/schedules/{schedules[0].pk}/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("patch", ""),
        ("put", ""),
        ("delete", ""),
        ("post", "pause/"),
        ("post", "resume/"),
        ("post", "run-now/"),
    ],
)
def test_every_verb_on_a_schedule_out_of_scope_is_refused_and_changes_nothing(
    scoped, schedules, recorded, caplog, method, suffix
):
    token, key, client = scoped
    other = schedules[1]
    url = f"/api/schedules/{other.pk}/{suffix}"
    with caplog.at_level(logging.WARNING):
        response = getattr(client, method)(url, {"cron": "@daily"}, format="json")
    refused_with(response)
    assert_logged(caplog, token, key)
    other.refresh_from_db()
    assert (other.cron, other.paused) == ("30 7 * * 1-5", False)
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_creating_or_moving_a_schedule_to_a_script_out_of_scope_is_refused(
    scoped, schedules, caplog
):
    token, key, client = scoped
    with caplog.at_level(logging.WARNING):
        refused_with(client.post("/api/schedules/", {"script": "lines", **CRON}, format="json"))
    assert_logged(caplog, token, key)
    assert Schedule.objects.count() == 2
    mine = schedules[0]
    moved = client.patch(f"/api/schedules/{mine.pk}/", {"script": "lines"}, format="json")
    refused_with(moved)
    mine.refresh_from_db()
    assert mine.script == "echo"
    created = client.post("/api/schedules/", {"script": "echo", **CRON}, format="json")
    assert created.status_code == 201, created.content


@pytest.mark.django_db
def test_run_now_within_scope_works(scoped, schedules, recorded):
    _, _, client = scoped
    response = client.post(f"/api/schedules/{schedules[0].pk}/run-now/")
    assert response.status_code == 201, response.content
    assert Task.objects.get().script == "echo"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "suffix"),
    [("post", ""), ("patch", "{pk}/"), ("delete", "{pk}/"), ("post", "{pk}/pause/"),
     ("post", "{pk}/run-now/")],
)  # fmt: skip
def test_a_read_only_token_lists_schedules_but_writes_nothing(
    user, schedules, recorded, caplog, method, suffix
):
    token, key = ScopedToken.issue(user, "watch", read_only=True)
    client = client_for(key)
    assert len(client.get("/api/schedules/").json()["schedules"]) == 2
    url = "/api/schedules/" + suffix.format(pk=schedules[0].pk)
    with caplog.at_level(logging.WARNING):
        response = getattr(client, method)(url, {"script": "echo", **CRON}, format="json")
    refused_with(response, f"This token ('watch') is read-only: it may not {method.upper()}.")
    assert token.prefix in caplog.text
    assert "'watch'" in caplog.text
    assert key not in caplog.text
    assert Schedule.objects.count() == 2
    assert not Task.objects.exists()
    schedules[0].refresh_from_db()
    assert schedules[0].paused is False


# --- runs ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_run_list_and_the_script_list_show_only_the_tokens_scripts(scoped, user):
    _, _, client = scoped
    make_task(user, script="echo")
    make_task(user, script="lines")
    listed = client.get("/api/tasks").json()["tasks"]
    assert [item["script"] for item in listed] == ["echo"]
    assert client.get("/api/tasks?script=lines").json()["tasks"] == []
    scripts = [item["key"] for item in client.get("/api/scripts").json()["scripts"]]
    assert sorted(scripts) == ["echo", "files"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "logs"),
        ("get", "logs?offset=0"),
        ("get", "logs/download"),
        ("get", "artifacts/"),
        # A fixed id: xdist workers must collect the same test names.
        ("get", "artifacts/00000000-0000-4000-8000-000000000000"),
        ("post", "cancel"),
        ("post", "rerun"),
        ("post", "keep"),
    ],
)
def test_every_endpoint_of_a_run_out_of_scope_is_refused(
    scoped, user, recorded, caplog, method, suffix
):
    token, key, client = scoped
    task = make_task(user, script="lines", status="running", log=[("out", b"secret\n")])
    with caplog.at_level(logging.WARNING):
        response = getattr(client, method)(f"/api/tasks/{task.pk}/{suffix}")
    refused_with(response)
    assert b"secret" not in response.content
    assert_logged(caplog, token, key)
    task.refresh_from_db()
    assert (task.status, task.cancel_requested_at, task.keep) == ("running", None, False)
    assert Task.objects.count() == 1


@pytest.mark.django_db
def test_starting_a_run_out_of_scope_is_refused_with_or_without_files(scoped, caplog):
    token, key, client = scoped
    with caplog.at_level(logging.WARNING):
        refused_with(client.post("/api/execute", {"script_type": "lines"}, format="json"))
    upload = SimpleUploadedFile("t.csv", b"a,b\n", content_type="text/csv")
    sent = client.post(
        "/api/execute", {"script_type": "upload", "table": [upload]}, format="multipart"
    )
    refused_with(
        sent, "This token ('deploy') may act only on the scripts echo, files, not 'upload'."
    )
    assert_logged(caplog, token, key)
    assert not Task.objects.exists()
    assert not Artifact.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_real_runs_files_are_served_within_scope_and_refused_outside(user, inline):
    finished = wait_finished(services.execute(user, "files", {}, []).pk)
    item = Artifact.objects.filter(task=finished).first()
    _, key = ScopedToken.issue(user, "deploy", scripts=["files"])
    inside = client_for(key)
    assert inside.get(f"/api/tasks/{finished.pk}/artifacts/").status_code == 200
    assert inside.get(f"/api/tasks/{finished.pk}/artifacts/{item.pk}").status_code == 200
    _, other_key = ScopedToken.issue(user, "elsewhere", scripts=["echo"])
    outside = client_for(other_key)
    for url in (f"artifacts/{item.pk}", "artifacts/", "logs", ""):
        response = outside.get(f"/api/tasks/{finished.pk}/{url}")
        assert response.status_code == 403, url
        assert "'elsewhere'" in response.json()["error"]


# --- the live stream and the pages ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["events", "poll"])
def test_the_live_stream_of_a_run_out_of_scope_is_refused_in_json(
    scoped, user, client, caplog, view
):
    token, key, _ = scoped
    task = make_task(user, script="lines", log=[("out", b"secret\n")])
    with caplog.at_level(logging.WARNING):
        response = client.get(f"/tasks/{task.pk}/{view}/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"success": False, "error": OUT_OF_SCOPE}
    assert_logged(caplog, token, key)
    mine = make_task(user, script="echo", log=[("out", b"fine\n")])
    poll = client.get(f"/tasks/{mine.pk}/poll/", HTTP_AUTHORIZATION=f"Token {key}")
    assert poll.status_code == 200
    assert poll.json()["parts"] == [["out", "fine\n"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/tasks/{pk}/",
        "/tasks/{pk}/log/",
        "/tasks/{pk}/log/window/",
        "/tasks/{pk}/log/search/?q=secret",
        "/scripts/lines/",
        "/history/",
        "/tasks/{pk}/compare/",
    ],
)
def test_pages_and_insight_take_no_token_at_all(scoped, user, client, path):
    """The whole log, the log window and search, the insight pages: sign-in only, so a
    token (scoped or not) gets the sign-in redirect and none of the run."""
    _, key, _ = scoped
    task = make_task(user, script="lines", log=[("out", b"secret\n")])
    response = client.get(path.format(pk=task.pk), HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert b"secret" not in response.content


@pytest.mark.django_db
def test_metrics_take_their_own_token_not_an_api_token(scoped, client):
    _, key, _ = scoped
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
