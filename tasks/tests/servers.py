"""Real HTTP servers inside the test process, and a plain HTTP client for their streams.

The WSGI one is pytest-django's `live_server` (the threaded server class `runserver`
uses); the ASGI one is uvicorn, the production server the README documents for live
pages. Both share the test database and the engine with the test.
"""

import http.client
import socket
import threading
from contextlib import contextmanager

import uvicorn
from django.core.asgi import get_asgi_application


@contextmanager
def uvicorn_server():
    """Yield the base URL of uvicorn serving the ASGI application in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        get_asgi_application(), log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            thread.join(0.01)
        assert server.started, "uvicorn did not start"
        host, port = sock.getsockname()
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def read_stream(base_url, path, cookie, on_first_event=None, timeout=60):
    """GET `path` and read the response to its end; returns (status, body bytes).
    `on_first_event` is called once the first event has arrived."""
    host_port = base_url.removeprefix("http://")
    connection = http.client.HTTPConnection(host_port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, "Accept": "text/event-stream"})
        response = connection.getresponse()
        body = []
        while line := response.readline():
            body.append(line)
            if on_first_event is not None and line.startswith(b"event: "):
                on_first_event()
                on_first_event = None
        return response.status, b"".join(body)
    finally:
        connection.close()


def session_cookie(client, user):
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"
