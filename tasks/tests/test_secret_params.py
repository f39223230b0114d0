"""Secret parameters: masked in the form, never in clear in the row, **** in every output."""

import hashlib
import json

import pytest
from django.db import connection

from tasks import secret_params, services
from tasks.catalog import load_catalog
from tasks.executor.backends import get_backend
from tasks.executor.log_writer import LogWriter
from tasks.models import AuditEvent, EndReason, LogChunk, Status, Task
from tasks.tests.helpers import wait_finished
from tasks.web.forms import RunForm

pytestmark = pytest.mark.django_db

TOKEN = "hunter2-TOKEN-value"
PASSWORD = "pa55-w0rd-in-env"
BODY = {"script_type": "secret_echo", "params": {"token": TOKEN, "password": PASSWORD}}


def everything_stored():
    """Every text and byte the database holds about runs and the audit trail."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM tasks_task")
        rows = cursor.fetchall()
        cursor.execute("SELECT * FROM tasks_auditevent")
        rows += cursor.fetchall()
    text = json.dumps([[str(value) for value in row] for row in rows])
    data = b"".join(bytes(chunk.data) for chunk in LogChunk.objects.all())
    return text, data


def assert_nowhere(*responses):
    text, data = everything_stored()
    for secret in (TOKEN, PASSWORD, TOKEN[:8], TOKEN[-8:]):
        assert secret not in text
        assert secret.encode() not in data
        for response in responses:
            assert secret.encode() not in response.content


@pytest.fixture
def ran(api, settings, django_capture_on_commit_callbacks):
    settings.EXECUTOR_BACKEND = "inline"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/execute", BODY, format="json")
    assert response.status_code == 201, response.content
    return response, wait_finished(response.json()["task"]["id"])


def test_the_row_holds_only_masked_values_and_a_seal(api):
    response = api.post("/api/execute", BODY, format="json")
    task = Task.objects.get()
    assert task.params == {"token": "****", "password": "****"}
    assert task.script_args == ["--token=****"]
    assert task.env == {"DB_PASSWORD": "****"}
    assert task.argv[-1] == "--token=****"
    assert task.sealed_secrets
    assert response.json()["task"]["params"] == {"token": "****", "password": "****"}
    assert_nowhere(response)


def test_the_script_gets_the_real_values_and_the_log_shows_only_masks(api, ran):
    created, task = ran
    expected = hashlib.sha256(f"{TOKEN}|{PASSWORD}".encode()).hexdigest()
    logs = api.get(f"/api/tasks/{task.pk}/logs").json()["logs"]
    assert f"received {expected}\n" in logs
    assert "token is ****\n" in logs
    assert "partial **** done\n" in logs
    assert "password is ****\n" in logs
    assert task.status == Status.FAILED
    assert task.exception == "RuntimeError: bad token ****"
    assert task.progress_message == "using ****"
    assert task.sealed_secrets == ""
    assert "token is ****" in task.stdout_tail
    assert "password is ****" in task.stderr_tail
    assert_nowhere(
        created,
        api.get(f"/api/tasks/{task.pk}"),
        api.get("/api/tasks"),
        api.get(f"/api/tasks/{task.pk}/logs"),
        api.get(f"/api/tasks/{task.pk}/logs?offset=0"),
    )
    download = api.get(f"/api/tasks/{task.pk}/logs/download")
    content = b"".join(download.streaming_content)
    assert b"token is ****" in content
    assert TOKEN.encode() not in content
    assert PASSWORD.encode() not in content


def test_the_task_page_and_the_audit_admin_show_no_secret(ran, client, user, admin_user):
    _, task = ran
    client.force_login(user)
    page = client.get(f"/tasks/{task.pk}/")
    # The page's log arrives through its event stream, or as the plain-text log page.
    for url in (f"/tasks/{task.pk}/events/", f"/tasks/{task.pk}/log/"):
        log = b"".join(client.get(url).streaming_content)
        assert b"token is ****" in log
        for secret in (TOKEN, PASSWORD, TOKEN[:8], TOKEN[-8:]):
            assert secret.encode() not in log
    client.force_login(admin_user)
    audit = client.get("/admin/tasks/auditevent/")
    detail = client.get(f"/admin/tasks/auditevent/{AuditEvent.objects.get().pk}/change/")
    assert audit.status_code == detail.status_code == 200
    assert_nowhere(page, audit, detail)


def test_a_rerun_asks_for_the_secrets_again(api, ran):
    _, task = ran
    response = api.post(f"/api/tasks/{task.pk}/rerun")
    assert response.status_code == 400
    assert "secret parameters (Token, Password)" in response.json()["error"]
    assert Task.objects.count() == 1


def test_cancelling_a_pending_run_wipes_its_seal(api, user):
    api.post("/api/execute", BODY, format="json")
    task = Task.objects.get()
    services.cancel(user, task)
    task.refresh_from_db()
    assert task.status == Status.CANCELLED
    assert task.sealed_secrets == ""


def test_a_changed_secret_key_fails_the_run_with_a_clear_error(api, settings):
    api.post("/api/execute", BODY, format="json")
    settings.SECRET_KEY = "another-key-" + "x" * 50
    settings.EXECUTOR_BACKEND = "inline"
    get_backend().submit(Task.objects.get().pk)
    task = Task.objects.get()
    assert (task.status, task.end_reason) == (Status.FAILED, EndReason.SPAWN_ERROR)
    assert "secret parameters cannot be decrypted" in task.error
    assert task.sealed_secrets == ""


def test_a_rotated_key_still_opens_older_seals(settings):
    sealed = secret_params.seal(["--token=x"], {"A": "y"}, ["x", "y"])
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "new-key-" + "z" * 50
    settings.SECRET_KEY_FALLBACKS = [old_key]
    opened = secret_params.unseal(sealed)
    assert opened.script_args == ["--token=x"]
    assert opened.values == ("x", "y")
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(secret_params.SealBroken):
        secret_params.unseal(sealed)


def test_the_form_masks_a_secret_and_never_sends_it_back():
    entry = load_catalog(_catalog()).get("secret_echo")
    form = RunForm(entry, {"param_token": TOKEN, "param_password": PASSWORD})
    html = form.as_div()
    assert 'type="password"' in html
    assert 'autocomplete="new-password"' in html
    assert TOKEN not in html


def test_a_page_run_with_a_secret_keeps_it_out_of_the_row(client, user):
    client.force_login(user)
    response = client.post("/run/secret_echo/", {"param_token": TOKEN})
    assert response.status_code == 302
    assert Task.objects.get().params == {"token": "****"}
    assert_nowhere()


def test_a_secret_cannot_span_lines_or_have_a_default(tmp_path):
    entry = load_catalog(_catalog()).get("secret_echo")
    with pytest.raises(Exception, match="single line"):
        entry.clean({"token": "a\nb"}, [])
    (tmp_path / "s.py").write_text("")
    (tmp_path / "catalog.toml").write_text(
        '[scripts.s]\npath = "s.py"\n[[scripts.s.params]]\nname = "k"\ntype = "secret"\n'
        'default = "in-the-catalog"\n'
    )
    catalog = load_catalog(tmp_path / "catalog.toml")
    assert "s" not in catalog.entries
    assert "cannot have a default" in catalog.problems[0][1]


def test_the_api_schema_of_a_secret_has_no_default(api):
    scripts = {s["key"]: s for s in api.get("/api/scripts").json()["scripts"]}
    token = scripts["secret_echo"]["params"][0]
    assert (token["type"], token["default"]) == ("secret", None)


def test_the_log_writer_holds_back_what_may_be_the_start_of_a_secret():
    writer = LogWriter(None, 1 << 20, secrets=["hunter2"])
    assert writer.safe_length(b"partial hun") == len(b"partial ")
    assert writer.safe_length(b"partial h") == len(b"partial ")
    assert writer.safe_length(b"partial hunter2") == len(b"partial hunter2")
    assert writer.safe_length(b"nothing like it") == len(b"nothing like it")
    assert LogWriter(None, 1 << 20).safe_length(b"abc") == 3


def _catalog():
    from tasks.tests.conftest import TEST_CATALOG

    return TEST_CATALOG
