"""Secrets on schedules: refused with a clear 400 unless the catalog entry marks the
secret storable; a storable one is kept sealed (the row holds only its mask), reaches
the script at each firing, survives an edit that leaves it out, and a seal that cannot
be opened any more is a recorded skip."""

import hashlib
import json

import pytest
from django.db import connection

from tasks.models import Firing, Schedule, Status
from tasks.services import InvalidRequest, schedules
from tasks.tests.catalog.helpers import problems
from tasks.tests.helpers import wait_finished

pytestmark = pytest.mark.django_db

TOKEN = "tok-ffd81c0e-stored"
STORED = {"script": "stored_secret", "kind": "cron", "cron": "@daily", "params": {"token": TOKEN}}


def stored_anywhere(secret):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM tasks_schedule")
        schedules_text = json.dumps([[str(v) for v in row] for row in cursor.fetchall()])
        cursor.execute("SELECT * FROM tasks_auditevent")
        audit_text = json.dumps([[str(v) for v in row] for row in cursor.fetchall()])
    return secret in schedules_text or secret in audit_text


def test_a_storable_secret_is_kept_sealed_and_only_its_mask_shows(user, api):
    schedule = schedules.create(user, STORED)
    assert schedule.params == {"token": "****"}
    assert schedule.sealed_secrets
    assert not stored_anywhere(TOKEN)
    listed = api.get("/api/schedules/").json()["schedules"][0]
    assert listed["params"] == {"token": "****"}
    assert TOKEN not in json.dumps(listed)


def test_each_firing_runs_with_the_real_value(user, settings, django_capture_on_commit_callbacks):
    settings.EXECUTOR_BACKEND = "inline"
    schedule = schedules.create(user, STORED)
    with django_capture_on_commit_callbacks(execute=True):
        task = schedules.start_firing(schedule)
    task = wait_finished(task.pk)
    assert task.params == {"token": "****"}
    digest = hashlib.sha256(f"{TOKEN}|".encode()).hexdigest()
    assert f"received {digest}" in task.stdout_tail
    assert "token is ****" in task.stdout_tail
    assert task.status == Status.FAILED  # the script raises on purpose, after printing
    assert TOKEN not in task.stdout_tail


def test_an_edit_that_leaves_the_secret_out_keeps_it_and_a_new_value_replaces_it(user):
    schedule = schedules.create(user, STORED)
    schedules.update(user, schedule, {"cron": "@hourly", "params": {}})
    schedule.refresh_from_db()
    assert schedules.run_params(schedule) == {"token": TOKEN}
    schedules.update(user, schedule, {"params": {"token": "****"}})
    assert schedules.run_params(Schedule.objects.get()) == {"token": TOKEN}
    schedules.update(user, schedule, {"params": {"token": "new-value"}})
    assert schedules.run_params(Schedule.objects.get()) == {"token": "new-value"}


def test_a_secret_not_marked_storable_is_a_clear_400(api):
    body = {**STORED, "params": {"token": TOKEN, "password": "pw-7c1d"}}
    response = api.post("/api/schedules/", body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["params.password"]
    assert "cannot store the secret parameter 'password'" in errors["params.password"]
    assert "storable" in errors["params.password"]
    assert not Schedule.objects.exists()
    assert "pw-7c1d" not in response.content.decode()


def test_a_seal_the_server_cannot_open_any_more_is_a_recorded_skip(user, settings, recorded):
    schedule = schedules.create(user, {**STORED, "kind": "interval", "interval_seconds": 60})
    settings.SECRET_KEY = "another-key-entirely-" * 3
    settings.SECRET_KEY_FALLBACKS = []
    schedules.fire_due()
    firing = Firing.objects.get(schedule=schedule)
    assert firing.outcome == "skipped"
    assert "cannot be decrypted" in firing.reason
    with pytest.raises(InvalidRequest) as caught:
        schedules.update(user, schedule, {"cron": "@daily", "kind": "cron"})
    assert "type them again" in caught.value.message


def test_storable_is_for_secret_parameters_only(tmp_path):
    catalog, found = problems(
        tmp_path,
        '[scripts.job]\npath = "job.py"\n[[scripts.job.params]]\nname = "n"\nstorable = true\n',
    )
    assert "job" not in catalog.entries
    assert "'storable' is for secret parameters only" in found[0]
