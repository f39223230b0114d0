"""Fifty viewers of one run, under the WSGI server runserver uses and under uvicorn:
every one of them receives the complete log, in order, once."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tasks import services
from tasks.executor.backends import get_backend
from tasks.history import logs
from tasks.models import Status
from tasks.tests.factories import log_text, parse_sse
from tasks.tests.helpers import wait_finished
from tasks.tests.servers import read_stream, session_cookie, uvicorn_server

VIEWERS = 50
LINES = 300

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def watch_with_fifty_viewers(base_url, client, user, settings):
    cookie = session_cookie(client, user)
    # The run is held back until every viewer is connected and has its first event: a
    # server that served viewers one after another would never get there.
    settings.EXECUTOR_BACKEND = "record"
    task = services.execute(user, "lines", {"count": LINES, "delay": 0.002})
    path = f"/tasks/{task.pk}/events/"
    connected = threading.Semaphore(0)
    with ThreadPoolExecutor(VIEWERS) as pool:
        futures = [
            pool.submit(read_stream, base_url, path, cookie, connected.release)
            for _ in range(VIEWERS)
        ]
        for number in range(VIEWERS):
            assert connected.acquire(timeout=30), f"only {number} viewers got an event"
        settings.EXECUTOR_BACKEND = "thread"
        get_backend().submit(task.pk)
        results = [future.result() for future in futures]
    assert wait_finished(task.pk).status == Status.SUCCESS
    whole = "".join(logs.iter_text(task.pk))
    assert whole.count("\n") == LINES
    for status, body in results:
        assert status == 200
        events = parse_sse(body)
        assert events[0][2]["status"] == "pending"
        assert log_text(events) == whole
        assert events[-1][0] == "end"
        assert events[-1][2]["status"] == "success"


def test_fifty_viewers_under_the_wsgi_server_all_get_the_whole_log(
    live_server, client, user, settings
):
    watch_with_fifty_viewers(live_server.url, client, user, settings)


def test_fifty_viewers_under_uvicorn_all_get_the_whole_log(client, user, settings):
    with uvicorn_server() as base_url:
        watch_with_fifty_viewers(base_url, client, user, settings)
