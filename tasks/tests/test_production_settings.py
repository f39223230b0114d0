"""Production settings: debug off is safe by default, and `check --deploy` says so."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-" + "Zx9#qLm2" * 8

SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_PROXY_SSL_HEADER": s.SECURE_PROXY_SSL_HEADER,
    "CACHE": s.CACHES["default"]["BACKEND"],
    "RUN_RATE": s.EXECUTOR_RUN_RATE,
    "LOGIN_RATE": s.EXECUTOR_LOGIN_RATE,
    "NUM_PROXIES": s.REST_FRAMEWORK["NUM_PROXIES"],
}))
"""


def production(**overrides):
    """A production-like environment: only what a deployment sets, no .env file."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "EXECUTOR_", "CACHE_URL", "DATABASE_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="executor_site.settings",
        DJANGO_ENV_FILE=os.devnull,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=STRONG_KEY,
        DJANGO_ALLOWED_HOSTS="runner.example.com",
    )
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


def run(args, env):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def settings_in(env):
    result = run(["-c", SHOW_SETTINGS], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_reports_nothing_with_debug_off():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_server_refuses_to_start_without_a_secret_key():
    result = run(["manage.py", "check"], production(DJANGO_SECRET_KEY=None))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_off_means_https_only_by_default():
    shown = settings_in(production())
    assert shown["DEBUG"] is False
    assert shown["SESSION_COOKIE_SECURE"] is shown["CSRF_COOKIE_SECURE"] is True
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert shown["SECURE_PROXY_SSL_HEADER"] is None
    assert shown["NUM_PROXIES"] == 0
    assert shown["RUN_RATE"] == [30, 60]
    assert shown["LOGIN_RATE"] == [10, 900]


def test_behind_a_proxy_the_tls_header_and_limits_are_configurable():
    shown = settings_in(
        production(
            DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https",
            DJANGO_NUM_PROXIES="1",
            EXECUTOR_RUN_RATE="100/h",
            EXECUTOR_LOGIN_RATE="off",
            CACHE_URL="file:///tmp/executor-cache",
        )
    )
    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert shown["NUM_PROXIES"] == 1
    assert shown["RUN_RATE"] == [100, 3600]
    assert shown["LOGIN_RATE"] is None
    assert shown["CACHE"].endswith("FileBasedCache")


def test_plain_http_is_an_explicit_choice():
    shown = settings_in(production(DJANGO_HTTPS="0"))
    assert shown["SESSION_COOKIE_SECURE"] is shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SECURE_HSTS_SECONDS"] == 0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DJANGO_SECURE_PROXY_SSL_HEADER", "https", "must look like 'X-Forwarded-Proto: https'"),
        ("EXECUTOR_RUN_RATE", "lots", "must look like 30/min"),
        ("CACHE_URL", "memcached://x", "CACHE_URL must start with"),
    ],
)
def test_a_bad_value_stops_the_server_with_a_clear_message(name, value, message):
    result = run(["manage.py", "check"], production(**{name: value}))
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.django_db
def test_http_is_redirected_to_https_except_the_health_check(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert client.get("/api/health").status_code == 200
    secure = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=3600")


@pytest.mark.django_db
def test_static_files_are_served_by_whitenoise_with_debug_off(client, settings):
    settings.DEBUG = False
    for path in (
        "/static/css/site.css",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
    ):
        response = client.get(path)
        assert response.status_code == 200
        b"".join(response.streaming_content)  # closes the file
