"""GET /api/tasks/<id>/logs without an offset, past 1 MiB: the seed's JSON, streamed from
the database in chunks, with bounded server memory for concurrent readers."""

import json
import threading
import urllib.request

import psutil
import pytest
from rest_framework.authtoken.models import Token

from tasks.api.whole_log import STREAM_FROM
from tasks.history import logs
from tasks.models import MAX_CHUNK, LogChunk, Status
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024


def big_log(user, size, *, status=Status.SUCCESS, gap_at=None):
    """A run with `size` bytes of log in full chunks (quotes, backslashes, non-ASCII and
    control characters included), optionally with the chunk at `gap_at` dropped."""
    task = make_task(user, status=status)
    line = 'a "quoted" \\ line, déjà vu \t\x1b[31mred\x1b[0m\n'.encode()
    data = (line * (MAX_CHUNK // len(line) + 1))[:MAX_CHUNK]
    chunks = [
        LogChunk(task=task, offset=offset, stream="out", data=data)
        for offset in range(0, size, MAX_CHUNK)
        if offset != gap_at
    ]
    LogChunk.objects.bulk_create(chunks, batch_size=200)
    task.log_bytes = size
    task.log_dropped_bytes = MAX_CHUNK if gap_at is not None else 0
    task.save()
    return task


def test_a_log_past_the_threshold_is_streamed_as_the_seeds_json(api, user):
    task = big_log(user, 2 * MiB, gap_at=MAX_CHUNK * 3)
    response = api.get(f"/api/tasks/{task.pk}/logs")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/json"
    body = json.loads(b"".join(response.streaming_content))
    whole = logs.read(task.pk, 0, limit=10 * MiB)
    assert body == {
        "success": True,
        "logs": whole.text,
        "offset": 0,
        "next_offset": 2 * MiB,
        "complete": True,
        "log_bytes": 2 * MiB,
        "dropped_bytes": MAX_CHUNK,
        "status": "success",
    }
    assert "bytes of output dropped here" in body["logs"]


def test_a_small_log_is_one_ordinary_response(api, user):
    task = big_log(user, STREAM_FROM // 2, status=Status.RUNNING)
    response = api.get(f"/api/tasks/{task.pk}/logs")
    assert not response.streaming
    assert response.json()["complete"] is False


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_readers_of_a_big_log_use_bounded_server_memory(user, tmp_path):
    from tasks.tests.servers_stop import Server

    size = 32 * MiB
    task = big_log(user, size)
    server = Server("serve-noreload", tmp_path / "server.log", EXECUTOR_BACKEND="record")
    token, _ = Token.objects.get_or_create(user=user)
    process = psutil.Process(server.process.pid)
    url = f"{server.base}/api/tasks/{task.pk}/logs"

    def read():
        request = urllib.request.Request(url, headers={"Authorization": f"Token {token.key}"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return len(json.loads(response.read())["logs"])

    try:
        read()  # warm: imports, connections, caches
        idle = process.memory_info().rss
        peak, done = idle, threading.Event()

        def sample():
            nonlocal peak
            while not done.wait(0.02):
                peak = max(peak, process.memory_info().rss)

        sampler = threading.Thread(target=sample)
        sampler.start()
        sizes = []
        readers = [threading.Thread(target=lambda: sizes.append(read())) for _ in range(8)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(180)
        done.set()
        sampler.join(5)
        after = process.memory_info().rss
    finally:
        server.stop()
    assert sizes == [len(logs.read(task.pk, 0, limit=2 * size).text)] * 8
    # Generous: the whole log held once per reader would be 8 x 32 MiB x several.
    assert peak - idle < 100 * MiB, f"peak {peak / MiB:.0f} MiB, idle {idle / MiB:.0f} MiB"
    assert after - idle < 20 * MiB, f"after {after / MiB:.0f} MiB, idle {idle / MiB:.0f} MiB"
