"""`manage.py serve` (./bin/serve): runserver with a backlog that holds a burst. Its clean
stop is tested with the other servers' in tests/executor/test_graceful_stop.py."""

import http.client
import json
import socket
import threading

import pytest
from rest_framework.authtoken.models import Token

from tasks.management.commands.runserver import BACKLOG, BurstWSGIServer
from tasks.models import Task
from tasks.tests.servers_stop import Server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BURST = 100


def test_its_server_listens_with_a_deep_backlog():
    assert BurstWSGIServer.request_queue_size == BACKLOG >= BURST


def test_a_burst_of_100_concurrent_posts_is_served_with_none_reset(user, tmp_path):
    server = Server(
        "serve-noreload",
        tmp_path / "server.log",
        EXECUTOR_BACKEND="record",
        EXECUTOR_RUN_RATE="off",
    )
    token, _ = Token.objects.get_or_create(user=user)
    headers = {"Authorization": f"Token {token.key}", "Content-Type": "application/json"}
    body = json.dumps({"script_type": "echo"})
    start = threading.Barrier(BURST)
    statuses, errors = [], []

    def post():
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            start.wait(30)
            connection.request("POST", "/api/execute", body, headers)
            statuses.append(connection.getresponse().status)
        except OSError as exc:  # ConnectionResetError, ConnectionRefusedError, ...
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(BURST)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
    finally:
        server.stop()
    output = (tmp_path / "server.log").read_text(errors="replace")
    assert errors == [], output
    assert statuses == [201] * BURST, output
    assert Task.objects.count() == BURST


def test_requests_beyond_its_threads_wait_their_turn_instead_of_failing(tmp_path):
    server = Server("serve-noreload", tmp_path / "server.log", EXECUTOR_SERVE_THREADS="2")
    held = []
    try:
        # Two clients that never finish their request hold both threads.
        for _ in range(2):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
            held.append(sock)
        third = http.client.HTTPConnection("127.0.0.1", server.port, timeout=1.5)
        third.request("GET", "/api/health")
        with pytest.raises(TimeoutError):
            third.getresponse()  # accepted by the kernel, not yet served
        third.close()
        held.pop().close()  # a thread comes free
        fourth = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        fourth.request("GET", "/api/health")
        assert fourth.getresponse().status == 200
        fourth.close()
    finally:
        for sock in held:
            sock.close()
        server.stop()


def test_on_sqlite_its_threads_are_unbounded_and_on_a_database_server_they_are_not(settings):
    bound = settings.EXECUTOR_SERVE_THREADS
    on_sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    assert bound == (0 if on_sqlite else 40)
