"""POST /api/execute as multipart: runs with uploaded files, and every way to get it wrong."""

import json
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tasks.history import logs
from tasks.models import Artifact, ArtifactChunk, Status, Task
from tasks.tests.helpers import wait_finished

pytestmark = pytest.mark.django_db(transaction=True)


def send(api, files, **fields):
    data = {"script_type": "upload", **fields}
    for name, items in files.items():
        data[name] = items
    return api.post("/api/execute", data, format="multipart")


def upload(name, content, content_type="text/csv"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def report(task_id):
    task = wait_finished(task_id)
    assert task.status == Status.SUCCESS, logs.read(task.pk).text
    return task, json.loads(logs.read(task.pk).text)


def nothing_stored():
    return not Task.objects.exists() and not Artifact.objects.exists()


def test_a_file_reaches_the_script_as_a_private_copy_in_its_working_folder(inline, api):
    response = send(api, {"table": [upload(["..", "sales.csv"][-1], b"a,b\n1,2\n")]})
    assert response.status_code == 201, response.json()
    task, seen = report(response.json()["task"]["id"])
    assert seen["table"]["text"] == "a,b\n1,2\n"
    assert seen["table"]["mode"] == "0o600"
    assert seen["table"]["path"].startswith(seen["workdir"] + "/inputs/")
    assert os.path.basename(seen["table"]["path"]) == "table-1.csv"
    assert not os.path.exists(seen["workdir"])
    stored = Artifact.objects.get(task=task, kind="upload")
    assert (stored.name, stored.param, stored.size) == ("sales.csv", "table", 8)
    assert task.params == {"table": ["sales.csv"]}
    assert task.artifact_bytes == 8


def test_several_files_for_one_parameter_and_other_parameters_as_json_text(inline, api):
    files = {
        "table": [upload("t.txt", b"table", "text/plain")],
        "extra": [upload("a.json", b"{}", "application/json"), upload("b.txt", b"bee")],
    }
    response = send(api, files)
    assert response.status_code == 201, response.json()
    _, seen = report(response.json()["task"]["id"])
    assert [item["text"] for item in seen["extra"]] == ["{}", "bee"]
    assert [os.path.basename(item["path"]) for item in seen["extra"]] == [
        "extra-1.json",
        "extra-2.txt",
    ]


def test_an_upload_can_be_downloaded_by_whoever_sees_the_run(inline, api):
    response = send(api, {"table": [upload("s.csv", b"x,y\n")]})
    task_id = response.json()["task"]["id"]
    wait_finished(task_id)
    listed = api.get(f"/api/tasks/{task_id}/artifacts/").json()["artifacts"]
    (item,) = [entry for entry in listed if entry["kind"] == "upload"]
    download = api.get(item["download"])
    assert b"".join(download.streaming_content) == b"x,y\n"
    assert download["Content-Disposition"] == 'attachment; filename="s.csv"'


def test_a_rerun_reuses_the_uploads(inline, api):
    response = send(api, {"table": [upload("s.csv", b"again\n")]})
    first = response.json()["task"]["id"]
    wait_finished(first)
    rerun = api.post(f"/api/tasks/{first}/rerun")
    assert rerun.status_code == 201, rerun.json()
    task, seen = report(rerun.json()["task"]["id"])
    assert seen["table"]["text"] == "again\n"
    assert Artifact.objects.filter(kind="upload").count() == 2
    assert task.params == {"table": ["s.csv"]}


@pytest.mark.parametrize(
    ("files", "field", "message"),
    [
        ({"table": [upload("s.exe", b"MZ")]}, "params.table", "must be one of: .csv, .txt"),
        ({"table": [upload("s.csv", b"")]}, "params.table", "the file is empty"),
        ({}, "params.table", "is required"),
        (
            {"table": [upload("s.csv", b"1")], "extra": [upload("x.png", b"png")]},
            "params.extra",
            "is image/png; must be one of: text/*, application/json",
        ),
        (
            {"table": [upload("s.csv", b"1")], "extra": [upload(f"{n}.txt", b"1") for n in "abcd"]},
            "params.extra",
            "takes at most 3 files",
        ),
        ({"table": [upload("s.csv", b"1"), upload("t.csv", b"2")]}, "params.table", "at most 1"),
        ({"table": [upload("s.csv", b"1")], "other": [upload("o.csv", b"1")]}, "params.other", ""),
    ],
)
def test_bad_files_are_refused_with_nothing_run_or_stored(inline, api, files, field, message):
    response = send(api, files)
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert message in body["errors"][field]
    assert nothing_stored()


def test_a_file_over_its_parameters_max_size_is_a_413(inline, api):
    response = send(api, {"table": [upload("s.csv", b"x" * 1001)]})
    assert response.status_code == 413
    assert "larger than 1000 bytes" in response.json()["error"]
    assert nothing_stored()


def test_a_file_over_the_global_ceiling_is_refused_as_it_streams(inline, api, settings):
    settings.EXECUTOR_MAX_UPLOAD_BYTES = 100
    response = send(api, {"table": [upload("s.csv", b"x" * 5000)]})
    assert response.status_code == 413
    assert response.json() == {
        "success": False,
        "error": "The file 's.csv' is larger than 100 bytes.",
    }
    assert nothing_stored()


def test_a_file_parameter_sent_as_json_is_refused(inline, api):
    response = api.post(
        "/api/execute",
        {
            "script_type": "upload",
            "params": {"table": ["{upload:00000000-0000-0000-0000-000000000000}"]},
        },
        format="json",
    )
    assert response.status_code == 400
    assert "send it as a multipart upload" in response.json()["errors"]["params.table"]
    assert nothing_stored()


def test_json_requests_keep_working_beside_multipart(inline, api):
    response = api.post("/api/execute", {"script_type": "echo"}, format="json")
    assert response.status_code == 201


def test_purging_the_run_removes_its_uploads(inline, api):
    from tasks import services

    response = send(api, {"table": [upload("s.csv", b"x")]})
    wait_finished(response.json()["task"]["id"])
    services.purge(None, Task.objects.all())
    assert not Artifact.objects.exists()
    assert not ArtifactChunk.objects.exists()
