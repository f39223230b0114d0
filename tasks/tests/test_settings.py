"""Settings from the environment: safe defaults, loud failures on bad values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def django_check(**env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "EXECUTOR_", "DATABASE_URL"))
    }
    environment.update(env)
    environment["DJANGO_ENV_FILE"] = "/nonexistent"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "executor_site.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_debug_the_server_refuses_to_start_without_a_secret_key():
    result = django_check(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_with_a_secret_key_it_starts():
    result = django_check(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG must be true or false"),
        ("EXECUTOR_MAX_WORKERS", "four", "EXECUTOR_MAX_WORKERS must be a whole number"),
        ("EXECUTOR_MAX_WORKERS", "0", "EXECUTOR_MAX_WORKERS must be at least 1"),
        ("EXECUTOR_MAX_LOG_BYTES", "lots", "EXECUTOR_MAX_LOG_BYTES must be a size like 10M"),
        ("EXECUTOR_KILL_GRACE", "-1", "EXECUTOR_KILL_GRACE must be at least 0"),
    ],
)
def test_a_bad_value_fails_loudly_with_its_name(name, value, message):
    result = django_check(DJANGO_SECRET_KEY="x" * 50, **{name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_sizes_and_database_urls_are_understood():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "db = s.DATABASES['default']; print(s.EXECUTOR_MAX_LOG_BYTES, db['ENGINE'], db['NAME'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "executor_site.settings",
            "DJANGO_SECRET_KEY": "x" * 50,
            "EXECUTOR_MAX_LOG_BYTES": "2M",
            "DATABASE_URL": "postgres://someone:pw@db.example.com:5432/runs",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["2097152", "django.db.backends.postgresql", "runs"], (
        result.stderr
    )
