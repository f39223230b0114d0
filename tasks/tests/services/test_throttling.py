"""Limits on runs started and on failed sign-ins: 429 with a clear message."""

import pytest

from tasks.models import Task

pytestmark = pytest.mark.django_db


def test_runs_past_the_limit_get_429_with_a_message_and_retry_after(api, settings):
    settings.EXECUTOR_RUN_RATE = (2, 60)
    for _ in range(2):
        assert api.post("/api/execute", {"script_type": "echo"}, format="json").status_code == 201
    response = api.post("/api/execute", {"script_type": "echo"}, format="json")
    assert response.status_code == 429
    body = response.json()
    assert body["success"] is False
    assert body["error"].startswith("Too many runs started: the limit is 2 per minute.")
    assert "Try again in" in body["error"]
    assert int(response["Retry-After"]) > 0
    assert Task.objects.count() == 2


def test_reruns_count_against_the_same_limit(api, settings):
    settings.EXECUTOR_RUN_RATE = (2, 3600)
    task_id = api.post("/api/execute", {"script_type": "echo"}, format="json").json()["task"]["id"]
    assert api.post(f"/api/tasks/{task_id}/rerun").status_code == 201
    response = api.post(f"/api/tasks/{task_id}/rerun")
    assert response.status_code == 429
    assert "2 per hour" in response.json()["error"]


def test_each_user_has_their_own_count(api, other_user, settings):
    from tasks.tests.conftest import token_client

    settings.EXECUTOR_RUN_RATE = (1, 60)
    assert api.post("/api/execute", {"script_type": "echo"}, format="json").status_code == 201
    assert api.post("/api/execute", {"script_type": "echo"}, format="json").status_code == 429
    other = token_client(other_user)
    assert other.post("/api/execute", {"script_type": "echo"}, format="json").status_code == 201


def test_refused_requests_do_not_use_up_the_run_rate(api, settings):
    settings.EXECUTOR_RUN_RATE = (2, 60)
    for _ in range(30):
        response = api.post("/api/execute", {"script_type": "no-such-script"}, format="json")
        assert response.status_code in (400, 404)
    for bad in ({"script_type": "echo", "params": {"count": 99}}, {"script_type": 7}):
        assert api.post("/api/execute", bad, format="json").status_code == 400
    for _ in range(2):
        assert api.post("/api/execute", {"script_type": "echo"}, format="json").status_code == 201
    # Only the runs started counted: the third is over the limit.
    assert api.post("/api/execute", {"script_type": "echo"}, format="json").status_code == 429
    assert Task.objects.count() == 2


def test_a_refused_rerun_does_not_count(api, other_user, settings):
    from tasks.tests.conftest import token_client

    settings.EXECUTOR_RUN_RATE = (1, 60)
    theirs = token_client(other_user).post("/api/execute", {"script_type": "echo"}, format="json")
    for _ in range(5):  # not visible to this user: 404, nothing counted
        assert api.post(f"/api/tasks/{theirs.json()['task']['id']}/rerun").status_code == 404
    assert api.post("/api/execute", {"script_type": "echo"}, format="json").status_code == 201


def test_an_invalid_run_form_does_not_count(client, user, settings):
    settings.EXECUTOR_RUN_RATE = (1, 60)
    client.force_login(user)
    for _ in range(5):
        assert client.post("/run/echo/", {"param_count": "99"}).status_code == 400
    assert client.post("/run/echo/", {}).status_code == 302
    assert client.post("/run/echo/", {}).status_code == 429


def test_reading_is_not_limited(api, settings):
    settings.EXECUTOR_RUN_RATE = (1, 60)
    for _ in range(5):
        assert api.get("/api/tasks").status_code == 200


def test_the_limit_can_be_turned_off(api, settings):
    settings.EXECUTOR_RUN_RATE = None
    for _ in range(5):
        assert api.post("/api/execute", {"script_type": "echo"}, format="json").status_code == 201


def test_the_run_form_says_when_the_limit_is_reached(client, user, settings):
    settings.EXECUTOR_RUN_RATE = (1, 60)
    client.force_login(user)
    assert client.post("/run/echo/", {}).status_code == 302
    response = client.post("/run/echo/", {})
    assert response.status_code == 429
    assert b"Too many runs started: the limit is 1 per minute." in response.content
    assert Task.objects.count() == 1


def sign_in(client, password, username="alice", address="10.0.0.1"):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_failed_sign_ins_past_the_limit_are_refused_even_with_the_right_password(
    client, user, settings
):
    settings.EXECUTOR_LOGIN_RATE = (3, 900)
    for _ in range(3):
        assert sign_in(client, "wrong").status_code == 200
    response = sign_in(client, "alice-password-1")
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts. Try again in 15 minutes." in response.content
    assert "_auth_user_id" not in client.session


def test_the_limit_applies_per_user_name_from_any_address(client, user, settings):
    settings.EXECUTOR_LOGIN_RATE = (2, 900)
    sign_in(client, "wrong", address="10.0.0.1")
    sign_in(client, "wrong", address="10.0.0.2")
    assert sign_in(client, "alice-password-1", address="10.0.0.3").status_code == 429


def test_the_limit_applies_per_address_across_user_names(client, user, other_user, settings):
    settings.EXECUTOR_LOGIN_RATE = (2, 900)
    sign_in(client, "wrong", username="mallory")
    sign_in(client, "wrong", username="trudy")
    assert sign_in(client, "bob-password-1", username="bob").status_code == 429
    assert sign_in(client, "bob-password-1", username="bob", address="10.9.9.9").status_code == 302


def test_a_forged_forwarded_for_header_does_not_reset_the_count(client, user, settings):
    settings.EXECUTOR_LOGIN_RATE = (2, 900)
    for forged in ("1.1.1.1", "2.2.2.2"):
        client.post(
            "/accounts/login/",
            {"username": f"guess-{forged}", "password": "x"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=forged,
        )
    response = client.post(
        "/accounts/login/",
        {"username": "bob", "password": "x"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="3.3.3.3",
    )
    assert response.status_code == 429


def test_a_successful_sign_in_below_the_limit_works(client, user, settings):
    settings.EXECUTOR_LOGIN_RATE = (3, 900)
    sign_in(client, "wrong")
    assert sign_in(client, "alice-password-1").status_code == 302


def test_the_admin_sign_in_is_the_same_limited_form(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"


def test_run_now_of_a_schedule_counts_against_the_same_limit(api, settings, recorded):
    settings.EXECUTOR_RUN_RATE = (2, 60)
    schedule = api.post(
        "/api/schedules/", {"script": "echo", "kind": "cron", "cron": "@daily"}, format="json"
    ).json()["schedule"]
    run_now = f"/api/schedules/{schedule['id']}/run-now/"
    assert api.post("/api/execute", {"script_type": "echo"}, format="json").status_code == 201
    assert api.post(run_now).status_code == 201
    for refused in (api.post(run_now), api.post("/api/execute", {"script_type": "echo"})):
        assert refused.status_code == 429
        assert refused.json()["error"].startswith("Too many runs started: the limit is 2 per")
        assert int(refused["Retry-After"]) > 0
    assert Task.objects.count() == 2


def test_run_now_on_the_schedules_page_counts_too(client, user, settings, recorded):
    from tasks.services import schedules

    settings.EXECUTOR_RUN_RATE = (1, 60)
    schedule = schedules.create(user, {"script": "echo", "kind": "cron", "cron": "@daily"})
    client.force_login(user)
    assert client.post(f"/schedules/{schedule.pk}/run-now/").status_code == 302
    page = client.post(f"/schedules/{schedule.pk}/run-now/", follow=True).content.decode()
    assert "Too many runs started: the limit is 1 per minute." in page
    assert client.post("/run/echo/", {}).status_code == 429  # the dashboard's count is shared
    assert Task.objects.count() == 1
