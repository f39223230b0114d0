"""CORS: off by default; for the origins in DJANGO_CORS_ALLOWED_ORIGINS, the API and the
live stream answer cross-origin calls, and a preflight needs no sign-in."""

import os
import subprocess
import sys

import pytest

from tasks.tests.factories import make_task

ORIGIN = "https://board.example.com"


def preflight(client, path, origin=ORIGIN):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


@pytest.mark.django_db
def test_off_by_default_no_cors_header_is_sent(client, api):
    assert "Access-Control-Allow-Origin" not in preflight(client, "/api/execute")
    response = api.get("/api/tasks", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.django_db
def test_a_preflight_from_an_allowed_origin_is_answered_without_sign_in(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    response = preflight(client, "/api/execute")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.django_db
def test_an_origin_not_listed_gets_no_cors_header(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    response = preflight(client, "/api/execute", origin="https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.django_db
def test_token_calls_and_the_live_stream_carry_the_header(api, anonymous, user, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    task = make_task(user, log=[("out", b"hi\n")])
    for path in ("/api/tasks", f"/tasks/{task.pk}/poll/", f"/tasks/{task.pk}/events/"):
        response = api.get(path, HTTP_ORIGIN=ORIGIN)
        assert response.status_code == 200, path
        assert response["Access-Control-Allow-Origin"] == ORIGIN, path
    # A refusal is readable by the page too (it says why).
    refused = anonymous.get("/api/tasks", HTTP_ORIGIN=ORIGIN, HTTP_AUTHORIZATION="Token wrong")
    assert refused.status_code == 401
    assert refused["Access-Control-Allow-Origin"] == ORIGIN


@pytest.mark.django_db
def test_pages_are_not_opened_to_other_origins(client, user, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    client.force_login(user)
    assert "Access-Control-Allow-Origin" not in client.get("/history/", HTTP_ORIGIN=ORIGIN)


def test_the_environment_variable_sets_the_origins():
    code = "from django.conf import settings; print(settings.CORS_ALLOWED_ORIGINS)"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "executor_site.settings",
        "DJANGO_CORS_ALLOWED_ORIGINS": f"{ORIGIN}, http://127.0.0.1:3000",
    }
    shown = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert shown.stdout.strip() == str([ORIGIN, "http://127.0.0.1:3000"])
