"""Real Celery workers for the tests and the benchmark: broker namespaces of a run's own
and `celery -A executor_site worker` processes that never outlive their owner."""

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from tasks.tests.helpers import wait_for

BASE_DIR = Path(__file__).resolve().parents[3]
START_TIMEOUT = 60.0


class Unavailable(Exception):
    """The service cannot be used; the message says why."""


@contextlib.contextmanager
def redis_namespace(server):
    """A Redis URL on a database index nobody uses (claimed with a marker key while it
    is empty); the database is flushed afterwards."""
    import redis

    try:
        redis.Redis.from_url(server, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise Unavailable(f"Redis is not reachable at {_shown(server)} ({exc})") from None
    marker = f"executor-test-{os.getpid()}-{secrets.token_hex(4)}"
    for index in range(15, 0, -1):
        client = redis.Redis.from_url(server, db=index)
        if client.set("executor-test-owner", marker, nx=True):
            if client.dbsize() == 1:
                break
            client.delete("executor-test-owner")
    else:
        raise Unavailable(f"Redis at {_shown(server)} has no empty database index left")
    try:
        yield f"{server.rstrip('/')}/{index}"
    finally:
        client.flushdb()


@contextlib.contextmanager
def rabbitmq_vhost(server):
    """A RabbitMQ URL on a vhost of its own (made with rabbitmqctl), deleted afterwards."""
    import kombu

    try:
        with kombu.Connection(server, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0)
    except Exception as exc:
        raise Unavailable(f"RabbitMQ is not reachable at {_shown(server)} ({exc})") from None
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        raise Unavailable("the RabbitMQ tests make a vhost of their own with rabbitmqctl")
    vhost = f"executor-test-{os.getpid()}-{secrets.token_hex(4)}"
    made = subprocess.run(
        [ctl, "add_vhost", vhost], capture_output=True, text=True, timeout=60, check=False
    )
    if made.returncode != 0:
        raise Unavailable(f"rabbitmqctl add_vhost failed: {made.stderr.strip()[:200]}")
    try:
        user = kombu.Connection(server).userid
        subprocess.run(
            [ctl, "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
            capture_output=True,
            timeout=60,
            check=True,
        )
        yield f"{server.rstrip('/')}/{quote(vhost, safe='')}"
    finally:
        subprocess.run([ctl, "delete_vhost", vhost], capture_output=True, timeout=60, check=False)


def _shown(url):
    from kombu.utils.url import maybe_sanitize_url

    return maybe_sanitize_url(url)


class Worker:
    def __init__(self, name, process, log_path):
        self.name = name
        self.process = process
        self.log_path = log_path

    @property
    def pid(self):
        return self.process.pid

    @property
    def label(self):
        """How the supervisor names this worker on the Task row (host:pid)."""
        return f"{socket.gethostname()}:{self.pid}"

    def log(self):
        return self.log_path.read_text(errors="replace")

    def wait_ready(self):
        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"worker {self.name} exited:\n{self.log()[-3000:]}")
            return " ready." in self.log()

        wait_for(ready, timeout=START_TIMEOUT, interval=0.1, message=f"worker {self.name}")

    def kill(self, sig=signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(sig)


class Workers:
    """Starts `celery worker` (and Flower) processes; none outlives `stop_all()`.

    `environment` is what every worker gets on top of the database, the broker and the
    catalog: the checkout's .env and this process's Django settings are not passed on."""

    def __init__(self, broker_url, database_url, catalog, folder, environment=None):
        self.broker_url = broker_url
        self.database_url = database_url
        self.catalog = catalog
        self.folder = Path(folder)
        self.environment = environment or {}
        self.started = []

    def start(self, name, queues=("default",), concurrency=4):
        command = [
            "worker",
            "--hostname",
            f"{name}@%h",
            "--queues",
            ",".join(queues),
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
        ]
        return self._celery(name, command)

    def start_flower(self, port, basic_auth):
        """Flower, the monitor the README documents, on 127.0.0.1:`port`."""
        command = ["flower", "--address=127.0.0.1", f"--port={port}", f"--basic-auth={basic_auth}"]
        return self._celery("flower", command)

    def _celery(self, name, arguments):
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "EXECUTOR_", "CELERY_", "PYTEST_"))
            and key != "DATABASE_URL"
        }
        env.update(
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL=self.broker_url,
            DJANGO_SECRET_KEY="celery-test-worker",
            DJANGO_ENV_FILE=str(self.folder / "no.env"),  # not the checkout's .env
            EXECUTOR_SCRIPTS=str(self.catalog),
            PYTHONUNBUFFERED="1",  # the worker's own log, read to see that it is ready
        )
        env.update(self.environment)
        log_path = self.folder / f"{name}.log"
        command = [sys.executable, "-m", "celery", "-A", "executor_site", *arguments]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        worker = Worker(name, process, log_path)
        self.started.append(worker)
        return worker

    def start_all(self, *specs):
        """Start several workers at once (they boot in parallel), then wait for each."""
        workers = [self.start(**spec) for spec in specs]
        for worker in workers:
            worker.wait_ready()
        return workers

    def stop_all(self):
        for worker in self.started:
            worker.kill(signal.SIGTERM)  # warm shutdown: finish, then exit
        deadline = time.monotonic() + 15
        for worker in self.started:
            try:
                worker.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.kill(signal.SIGKILL)
                worker.process.wait(10)
        self.started = []
