"""Real servers in subprocesses, on the test database, for tests that stop them.

"runserver" is what a user types (with the autoreloader), "serve" what ./bin/serve runs."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from rest_framework.authtoken.models import Token

from tasks.tests.conftest import TEST_CATALOG
from tasks.tests.helpers import database_url, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def command(kind, port):
    address = f"127.0.0.1:{port}"
    manage = [sys.executable, str(ROOT / "manage.py")]
    return {
        "runserver": [*manage, "runserver", address, "--skip-checks"],
        "serve": [*manage, "serve", address, "--skip-checks"],
        "serve-noreload": [*manage, "serve", address, "--noreload", "--skip-checks"],
        "gunicorn": [str(BIN / "gunicorn"), "executor_site.wsgi", "--bind", address,
                     "--workers", "1", "--threads", "4"],
        "uvicorn": [str(BIN / "uvicorn"), "executor_site.asgi:application", "--host",
                    "127.0.0.1", "--port", str(port)],
    }[kind]  # fmt: skip


class Server:
    """A server process in a session of its own (a terminal's Ctrl-C reaches the group)."""

    def __init__(self, kind, log_path, **env):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environ = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "EXECUTOR_SCRIPTS": str(TEST_CATALOG),
            "EXECUTOR_BACKEND": "thread",
            "DJANGO_TESTING": "1",
            # A server that does not stop is sent SIGABRT, on which each of its processes
            # writes every thread's stack into the log (unbuffered, unlike its stdout).
            "PYTHONFAULTHANDLER": "1",
            **env,
        }
        environ.pop("PYTHONUNBUFFERED", None)
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command(kind, self.port),
            cwd=ROOT,
            env=environ,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(self._answers, timeout=60, interval=0.1, message=f"{kind} to listen")
        except BaseException:
            # A server that never listened (a port taken meanwhile, a failed start) must not
            # outlive the test: it would hold the test database the next test recreates.
            self.stop()
            raise AssertionError(
                f"{kind} did not start:\n" + Path(log_path).read_text(errors="replace")
            ) from None

    def _answers(self):
        assert self.process.poll() is None, "the server exited"
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def children(self):
        """The server's child processes (runserver's reloader: the server it runs)."""
        pid = self.process.pid
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return children.read().split()

    def post(self, path, user, body):
        token, _ = Token.objects.get_or_create(user=user)
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 of our making
            self.base + path,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Token {token.key}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())

    def interrupt(self):
        """Ctrl-C in its terminal: SIGINT to the whole process group."""
        os.killpg(self.process.pid, signal.SIGINT)

    def terminate(self):
        """`kill PID`: SIGTERM to the server's (first) process only."""
        self.process.send_signal(signal.SIGTERM)

    def terminate_group(self):
        """A service manager's stop (systemd's default): SIGTERM to every process."""
        os.killpg(self.process.pid, signal.SIGTERM)

    def wait(self, timeout):
        started = time.monotonic()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"the server had not exited {timeout:g} s after the stop; its threads, "
                f"then its log:\n{self.stacks()}"
            ) from None
        return time.monotonic() - started

    def stacks(self):
        """The stack of every thread of the server's processes, and the log before them."""
        os.killpg(self.process.pid, signal.SIGABRT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.log.close()
