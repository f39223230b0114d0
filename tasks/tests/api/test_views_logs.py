"""GET /api/tasks/<id>/logs (whole, or by offset) and /logs/download."""

import pytest

from tasks.models import LogChunk, Status
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(user):
    task = make_task(user, status=Status.RUNNING, output=b"one\ntwo\n")
    LogChunk.objects.create(task=task, offset=8, stream="err", data=b"warn\n")
    task.log_bytes = 13
    task.save()
    return task


def test_the_whole_log_as_the_seed_returned_it(api, task):
    body = api.get(f"/api/tasks/{task.pk}/logs").json()
    assert body["success"] is True
    assert body["logs"] == "one\ntwo\nwarn\n"
    assert (body["next_offset"], body["complete"]) == (13, False)


def test_reading_by_offset_returns_what_follows_with_streams(api, task):
    body = api.get(f"/api/tasks/{task.pk}/logs?offset=4").json()
    assert body["logs"] == "two\nwarn\n"
    assert body["chunks"] == [
        {"offset": 4, "stream": "out", "text": "two\n"},
        {"offset": 8, "stream": "err", "text": "warn\n"},
    ]
    assert (body["offset"], body["next_offset"], body["complete"]) == (4, 13, False)


def test_the_log_is_complete_once_the_run_ended_and_everything_was_read(api, task):
    task.status = Status.SUCCESS
    task.save()
    assert api.get(f"/api/tasks/{task.pk}/logs?offset=0").json()["complete"] is True
    assert api.get(f"/api/tasks/{task.pk}/logs?offset=0&limit=1").json()["complete"] is False


def test_a_limit_alone_reads_from_the_start(api, task):
    alone = api.get(f"/api/tasks/{task.pk}/logs?limit=4").json()
    assert alone == api.get(f"/api/tasks/{task.pk}/logs?offset=0&limit=4").json()
    assert alone["offset"] == 0
    assert alone["complete"] is False


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("offset=-1", "offset: must be 0 or more"),
        ("offset=abc", "offset: must be a whole number"),
        ("offset=1.5", "offset: must be a whole number"),
        ("offset=14", "offset: 14 is past the end of the log (13 bytes so far)"),
        ("offset=0&limit=0", "limit: must be between 1 and"),
        ("limit=0", "limit: must be between 1 and"),
        ("offset=0&limit=999999999999", "limit: must be between 1 and"),
    ],
)
def test_bad_offsets_and_limits_get_a_400(api, task, query, message):
    response = api.get(f"/api/tasks/{task.pk}/logs?{query}")
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_the_download_is_a_text_file_named_after_the_run(api, task):
    response = api.get(f"/api/tasks/{task.pk}/logs/download")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="echo-{task.short_id}.log"'
    assert b"".join(response.streaming_content) == b"one\ntwo\nwarn\n"


def test_another_users_log_is_not_found(other_user, task):
    from tasks.tests.conftest import token_client

    client = token_client(other_user)
    assert client.get(f"/api/tasks/{task.pk}/logs").status_code == 404
    assert client.get(f"/api/tasks/{task.pk}/logs/download").status_code == 404
