"""GET /api/tasks/<id>/artifacts/ and the downloads of a run's files."""

import hashlib

import pytest

from tasks import services
from tasks.models import Artifact
from tasks.tests.helpers import wait_finished

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def finished(inline, user):
    return wait_finished(services.execute(user, "files", {}, []).pk)


def test_the_list_names_each_file_with_its_size_type_digest_and_download(api, finished):
    response = api.get(f"/api/tasks/{finished.pk}/artifacts/")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    files = {item["name"]: item for item in body["artifacts"]}
    csv = files["report.csv"]
    assert csv["kind"] == "output"
    assert csv["media_type"] == "text/csv"
    assert csv["download"] == f"/api/tasks/{finished.pk}/artifacts/{csv['id']}"
    assert body["summary"].startswith("## Totals")
    assert "passwd" in body["files_note"]
    assert body["artifact_bytes"] == sum(item["size"] for item in body["artifacts"])


def test_a_download_is_an_attachment_with_its_etag_and_no_sniffing(api, finished):
    item = Artifact.objects.get(task=finished, name="report.csv")
    response = api.get(f"/api/tasks/{finished.pk}/artifacts/{item.pk}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == item.sha256
    assert response["Content-Disposition"] == 'attachment; filename="report.csv"'
    assert response["ETag"] == f'"{item.sha256}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    again = api.get(
        f"/api/tasks/{finished.pk}/artifacts/{item.pk}", HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert again.status_code == 304


@pytest.mark.parametrize("name", ["page.html", "logo.svg"])
def test_html_and_svg_go_out_as_opaque_attachments(api, finished, name):
    item = Artifact.objects.get(task=finished, name=name)
    response = api.get(f"/api/tasks/{finished.pk}/artifacts/{item.pk}")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"].startswith("default-src 'none'; sandbox")


def test_a_run_another_user_cannot_see_has_no_files_for_them(finished, other_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(other_user)
    item = Artifact.objects.filter(task=finished).first()
    assert client.get(f"/api/tasks/{finished.pk}/artifacts/").status_code == 404
    response = client.get(f"/api/tasks/{finished.pk}/artifacts/{item.pk}")
    assert response.status_code == 404
    assert response.json()["success"] is False


def test_an_unknown_file_is_a_404_in_the_envelope(api, finished):
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        response = api.get(f"/api/tasks/{finished.pk}/artifacts/{bad}")
        assert response.status_code == 404
        assert response.json()["success"] is False


def test_the_task_object_says_how_big_its_files_are_and_where_they_are(api, finished):
    task = api.get(f"/api/tasks/{finished.pk}").json()["task"]
    assert task["artifact_bytes"] == finished.artifact_bytes > 0
    assert task["artifacts_url"] == f"/api/tasks/{finished.pk}/artifacts"
    listed = api.get("/api/tasks").json()["tasks"][0]
    assert "summary" not in listed
    assert listed["artifact_bytes"] == finished.artifact_bytes
