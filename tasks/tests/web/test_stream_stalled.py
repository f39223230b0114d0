"""A viewer that stops reading never holds a run back, and gets every byte afterwards.

A real WSGI server (pytest-django's live_server, runserver's server class) serves the
event stream to a socket with a tiny receive buffer that the test does not read while
the run floods: the run must end while that viewer is megabytes behind (its server
thread blocked in a send); then the viewer reads on and gets the whole log, in order."""

import socket

import pytest

from tasks import services
from tasks.history import logs
from tasks.models import Status
from tasks.tests.factories import log_text, parse_sse
from tasks.tests.helpers import wait_finished
from tasks.tests.servers import session_cookie

# About 7 MB of output: more than loopback's socket buffers hold (a sender's grows to
# net.ipv4.tcp_wmem's 4 MiB at most; the viewer asks for a receive buffer of 4 KiB).
LINES = 250_000

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def stalled_viewer(base_url, path, cookie):
    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n"
        "Accept: text/event-stream\r\nConnection: close\r\n\r\n".encode()
    )
    return sock


def read_to_end(sock):
    sock.settimeout(120)
    parts = []
    while data := sock.recv(1 << 20):
        parts.append(data)
        if b"event: end\n" in data[-70_000:] and data.endswith(b"\n\n"):
            break
    sock.close()
    return b"".join(parts)


def test_a_stalled_stream_reader_does_not_hold_the_run_back(live_server, client, user, settings):
    settings.EXECUTOR_MAX_LOG_BYTES = 64 * 1024 * 1024
    settings.EXECUTOR_BACKEND = "thread"
    cookie = session_cookie(client, user)
    task = services.execute(user, "lines", {"count": LINES, "delay": 0})
    viewer = stalled_viewer(live_server.url, f"/tasks/{task.pk}/events/", cookie)
    try:
        # Generous: a loaded machine is slow; a run waiting on this viewer never ends.
        finished = wait_finished(task.pk, timeout=240)
        assert finished.status == Status.SUCCESS
        raw = read_to_end(viewer)
    finally:
        viewer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    events = parse_sse(body)
    whole = "".join(logs.iter_text(task.pk))
    assert whole.count("\n") == LINES
    assert len(body) > 5 * 1024 * 1024  # the viewer really was megabytes behind
    assert log_text(events) == whole
    assert events[-1][0] == "end"
    assert events[-1][2]["status"] == "success"
