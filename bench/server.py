"""A throwaway Executor server for benchmarks and screenshots.

Each server gets its own SQLite file in a temporary folder, a migrated schema, a user,
and runs as `manage.py runserver` (WSGI) or uvicorn (ASGI), exactly as documented.
"""

import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
USERNAME = "bench"
PASSWORD = "bench-password-1"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, kind="runserver", catalog=None, env=None):
        if kind not in ("runserver", "uvicorn"):
            raise ValueError(f"unknown server {kind!r}: use runserver or uvicorn")
        self.kind = kind
        self.folder = tempfile.TemporaryDirectory(prefix="executor-bench-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.folder.name}/db.sqlite3",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_DEBUG": "0",
            "DJANGO_HTTPS": "0",  # plain HTTP on the loopback, as the README says to try it
            "EXECUTOR_RUN_RATE": "off",  # benchmarks start runs as fast as they like
            "DJANGO_ENV_FILE": os.devnull,
            "EXECUTOR_LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        self.env.pop("PYTHONUNBUFFERED", None)  # as on a user's machine
        if catalog is not None:
            self.env["EXECUTOR_SCRIPTS"] = str(catalog)
        self.process = None

    def manage(self, *args, **kwargs):
        return subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, check=True, **kwargs
        )

    def start(self):
        self.manage("migrate", "--no-input", stdout=subprocess.DEVNULL)
        self.manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import User; "
            f"User.objects.create_user({USERNAME!r}, password={PASSWORD!r}, is_staff=True)",
        )
        if self.kind == "runserver":
            command = [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"]
        else:
            command = [
                PYTHON, "-m", "uvicorn", "executor_site.asgi:application",
                "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log",
            ]  # fmt: skip
        # The server's own log goes to a file: a pipe nobody reads would fill and stall it.
        self.log_path = Path(self.folder.name) / "server.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited: {self.log()}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/api/health", timeout=2),
            ):
                return self
            time.sleep(0.1)
        raise RuntimeError(f"{self.kind} did not answer within 30 s")

    def log(self):
        """The server's output so far (its access log and any traceback)."""
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.folder.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, kind, exc, traceback):
        if exc is not None:
            print(f"--- {self.kind} log ---\n{self.log()[-4000:]}", file=sys.stderr)
        self.stop()

    def session(self):
        """A signed-in HTTP session: (opener, cookie jar, CSRF token)."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(f"{self.url}/accounts/login/") as response:
            page = response.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(
            f"{self.url}/accounts/login/", data=form, headers={"Referer": self.url + "/"}
        )
        with opener.open(request) as response:
            response.read()
        csrf = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
        if not any(cookie.name == "sessionid" for cookie in jar):
            raise RuntimeError("could not sign in")
        return opener, jar, csrf

    def execute(self, session, script, params=None):
        """Run a script through the API; returns the task id."""
        opener, _, csrf = session
        body = json.dumps({"script_type": script, "params": params or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/api/execute",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": csrf,
                "Referer": self.url + "/",
            },
        )
        with opener.open(request) as response:
            return json.loads(response.read())["task"]["id"]

    def cookies_for_browser(self, session):
        _, jar, _ = session
        return [{"name": cookie.name, "value": cookie.value, "url": self.url} for cookie in jar]
