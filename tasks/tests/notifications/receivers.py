"""Real servers on loopback for the notification tests: an HTTP receiver that answers
with a scripted list of status codes, and aiosmtpd's SMTP server."""

import http.server
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class HttpReceiver:
    url: str
    codes: list
    requests: list = field(default_factory=list)


@contextmanager
def http_receiver(codes=(200,)):
    """Yield an HttpReceiver: each POST is recorded and answered with the next code of
    `codes` (the last one repeats)."""
    state = HttpReceiver(url="", codes=list(codes))
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                state.requests.append(Received(self.path, dict(self.headers), body))
                code = state.codes.pop(0) if len(state.codes) > 1 else state.codes[0]
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            payload = b"ok" if code < 300 else b"try again"
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    state.url = f"http://{host}:{port}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class MailBox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self, refuse=0):
        self.messages = []
        self.refuse = refuse  # answer this many messages with a temporary failure first

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 Requested action aborted: try again later"
        self.messages.append(envelope)
        return "250 OK"


@contextmanager
def smtp_server(refuse=0):
    """Yield (mailbox, port) of an SMTP server on loopback."""
    mailbox = MailBox(refuse)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
