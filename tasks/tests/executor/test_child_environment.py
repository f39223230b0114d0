"""Scripts never see the server's secrets: the child environment is an allow-list."""

import json

import pytest
from django.core.management import call_command

from tasks import services
from tasks.executor.environment import child_environment
from tasks.history import logs
from tasks.tests.helpers import wait_finished

pytestmark = pytest.mark.django_db(transaction=True)

SERVER_SECRETS = {
    "DJANGO_SECRET_KEY": "server-secret-key",
    "DJANGO_SUPERUSER_PASSWORD": "first-admin-password",
    "DATABASE_URL": "postgres://app:db-password@db/prod",
    "CACHE_URL": "redis://:cache-password@cache:6379/1",
    "CELERY_BROKER_URL": "amqp://user:broker-password@mq//",
    "AWS_SECRET_ACCESS_KEY": "cloud-secret",
    "GITHUB_TOKEN": "ghp-token",
}


def test_a_script_sees_none_of_the_servers_secrets(inline, user, settings, monkeypatch):
    for name, value in SERVER_SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TOOL_HOME", "/opt/tool")
    # An operator may pass extra variables on, but never the server's own settings.
    settings.EXECUTOR_CHILD_ENV = ["TOOL_HOME", "DJANGO_SECRET_KEY", "DATABASE_URL", "CACHE_URL"]
    task = wait_finished(services.execute(user, "env_dump", {}, []).pk)
    text = logs.read(task.pk).text
    env = json.loads(text)
    for name, value in SERVER_SECRETS.items():
        assert name not in env
        assert value not in text
    assert env["TOOL_HOME"] == "/opt/tool"
    assert set(env) <= {
        "PATH",
        "HOME",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        "USER",
        "LOGNAME",
        "TERM",
        "TOOL_HOME",
        "EXECUTOR_FLUSH_EVERY",
        "PYTHONPATH",
        "PYTHONIOENCODING",
        "EXECUTOR_TASK_ID",
        # The run's working folder, its artifacts folder and its summary file (workdir.py).
        "EXECUTOR_WORKDIR",
        "EXECUTOR_ARTIFACTS",
        "EXECUTOR_SUMMARY",
        "LC_CTYPE",
    } | {name for name in env if name.startswith("LC_")}


def test_a_parameter_cannot_smuggle_a_server_variable_back_in(monkeypatch, settings):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "server-secret-key")
    env = child_environment({"ECHO_MOOD": "calm"}, task_id="t")
    assert "DJANGO_SECRET_KEY" not in env
    assert env["ECHO_MOOD"] == "calm"


def test_check_warns_when_the_operator_names_a_server_secret(settings, capsys):
    settings.EXECUTOR_CHILD_ENV = ["DJANGO_SECRET_KEY"]
    call_command("check")
    assert "executor.W020" in capsys.readouterr().err
