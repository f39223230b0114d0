"""Files through a real Celery worker: an upload reaches the script on the worker, and the
artifacts it leaves are downloaded from the web process, with no folder shared between
the two (the worker's working folders are under a root of its own, empty afterwards)."""

import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tasks.history import logs
from tasks.models import Artifact, Status
from tasks.tests.celery import ONE_BROKER, skip_unless_postgres
from tasks.tests.celery.cluster import Workers
from tasks.tests.celery.conftest import WORKER_SETTINGS
from tasks.tests.conftest import TEST_CATALOG
from tasks.tests.helpers import database_url, wait_finished

skip_unless_postgres()

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), ONE_BROKER]


@pytest.fixture
def worker_root(broker, django_db_setup, tmp_path, settings):
    """One worker whose working folders live under a root this process never reads."""
    root = tmp_path / "worker-root"
    environment = {
        **WORKER_SETTINGS,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "EXECUTOR_WORK_ROOT": str(root),
    }
    workers = Workers(broker, database_url(), TEST_CATALOG, tmp_path, environment)
    try:
        workers.start_all({"name": "files"})
        yield root
    finally:
        workers.stop_all()


def test_artifacts_made_on_a_worker_download_from_the_web_process(api, celery_backend, worker_root):
    response = api.post("/api/execute", {"script_type": "files"}, format="json")
    assert response.status_code == 201
    task = wait_finished(response.json()["task"]["id"], timeout=60)
    assert task.status == Status.SUCCESS, logs.read(task.pk).text
    where = json.loads(logs.read(task.pk).text.strip().splitlines()[-1])
    assert where["workdir"].startswith(str(worker_root))
    listed = api.get(f"/api/tasks/{task.pk}/artifacts/").json()["artifacts"]
    csv = next(item for item in listed if item["name"] == "report.csv")
    download = api.get(csv["download"])
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == csv["sha256"]
    assert body.startswith(b"name,total\n")
    assert list(worker_root.iterdir()) == []


def test_an_upload_reaches_the_script_on_the_worker(api, celery_backend, worker_root):
    table = SimpleUploadedFile("sales.csv", b"a,b\n1,2\n", content_type="text/csv")
    response = api.post(
        "/api/execute", {"script_type": "upload", "table": table}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    task = wait_finished(response.json()["task"]["id"], timeout=60)
    assert task.status == Status.SUCCESS, logs.read(task.pk).text
    seen = json.loads(logs.read(task.pk).text)
    assert seen["table"]["text"] == "a,b\n1,2\n"
    assert seen["table"]["path"].startswith(str(worker_root))
    assert Artifact.objects.filter(task=task, kind="upload").count() == 1
    assert list(worker_root.iterdir()) == []
