import os
import socket
import subprocess
import time

from tasks.models import Task


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago, for a server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def end_process(process):
    """Stop a server a test started: SIGTERM, 10 s for it to exit, then SIGKILL."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def wait_for(predicate, timeout=15.0, interval=0.02, message="condition"):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


def wait_finished(task_id, timeout=30.0):
    def finished():
        task = Task.objects.get(pk=task_id)
        return task if task.is_finished else None

    return wait_for(finished, timeout, message=f"task {task_id} to finish")


def alive(pid):
    """True while the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except ProcessLookupError:
        return False


def read_pids(path):
    return [int(pid) for pid in path.read_text().split()]


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return alive(pid)


def database_url(db=None):
    """The test database (by default the one this test uses) as the DATABASE_URL another
    process must be given to share it: SQLite's file, or PostgreSQL's test database."""
    from urllib.parse import quote

    from django.db import connection

    db = db or connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{quote(db['NAME'], safe='')}"
