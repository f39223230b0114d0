"""Real Celery workers, started as `celery -A executor_site worker` processes, against the
test database (PostgreSQL) and a real broker: Redis and RabbitMQ, each in a namespace of
its own (a Redis database index, a RabbitMQ vhost) that is emptied or deleted afterwards.

Every worker process is tracked and killed in teardown; every wait has a timeout.
"""

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tasks.tests.conftest import TEST_CATALOG
from tasks.tests.helpers import wait_for
from tasks.tests.requirements import require_or_skip

BASE_DIR = Path(django_settings.BASE_DIR)
REDIS_URL = os.environ.get("EXECUTOR_TEST_REDIS", "redis://127.0.0.1:6379")
RABBITMQ_URL = os.environ.get("EXECUTOR_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672")
# The workers' timings: quick heartbeats, so that a killed worker's run is declared
# interrupted within seconds.
WORKER_SETTINGS = {
    "EXECUTOR_KILL_GRACE": "1",
    "EXECUTOR_HEARTBEAT_INTERVAL": "0.5",
    "EXECUTOR_STALE_AFTER": "3",
    "EXECUTOR_MAX_WORKERS": "4",
}
START_TIMEOUT = 60.0


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Hashing a user's password properly takes most of a second here; these tests need
    # users, not strong hashes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", params=["redis", "rabbitmq"])
def broker(request):
    """The broker URL of a namespace of this test run's own, on each broker in turn."""
    if request.param == "redis":
        yield from _redis_namespace()
    else:
        yield from _rabbitmq_vhost()


def _redis_namespace():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        reachable, why = True, ""
    except redis.RedisError as exc:
        reachable, why = False, f"{type(exc).__name__}: {exc}"
    require_or_skip("redis", reachable, f"Redis is not reachable at {REDIS_URL} ({why})")
    # A database index nobody uses: claim an empty one with a marker key.
    marker = f"executor-test-{os.getpid()}-{secrets.token_hex(4)}"
    for index in range(15, 0, -1):
        client = redis.Redis.from_url(REDIS_URL, db=index)
        if client.set("executor-test-owner", marker, nx=True):
            if client.dbsize() == 1:
                break
            client.delete("executor-test-owner")
    else:
        require_or_skip("redis", False, f"Redis at {REDIS_URL} has no empty database index left")
    try:
        yield f"{REDIS_URL}/{index}"
    finally:
        client.flushdb()


def _rabbitmq_vhost():
    import kombu

    try:
        with kombu.Connection(RABBITMQ_URL, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0)
        reachable, why = True, ""
    except Exception as exc:
        reachable, why = False, f"{type(exc).__name__}: {exc}"
    require_or_skip("rabbitmq", reachable, f"RabbitMQ is not reachable at {RABBITMQ_URL} ({why})")
    ctl = shutil.which("rabbitmqctl")
    vhost = f"executor-test-{os.getpid()}-{secrets.token_hex(4)}"
    user = kombu.Connection(RABBITMQ_URL).userid
    made = None
    if ctl is not None:
        made = subprocess.run(
            [ctl, "add_vhost", vhost], capture_output=True, text=True, timeout=60, check=False
        )
    require_or_skip(
        "rabbitmq",
        made is not None and made.returncode == 0,
        "the RabbitMQ tests make a vhost of their own with rabbitmqctl, which "
        + ("is not installed" if made is None else f"failed: {made.stderr.strip()[:200]}"),
    )
    try:
        subprocess.run(
            [ctl, "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
            capture_output=True,
            timeout=60,
            check=True,
        )
        yield f"{RABBITMQ_URL}/{quote(vhost, safe='')}"
    finally:
        subprocess.run([ctl, "delete_vhost", vhost], capture_output=True, timeout=60, check=False)


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
        import socket

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
    """Starts `celery worker` processes and makes sure none outlives the test."""

    def __init__(self, broker_url, database_url, folder):
        self.broker_url = broker_url
        self.database_url = database_url
        self.folder = folder
        self.started = []

    def start(self, name, queues=("default",), concurrency=4, **environment):
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "EXECUTOR_", "CELERY_", "PYTEST_"))
            and key != "DATABASE_URL"
        }
        env.update(WORKER_SETTINGS)
        env.update(
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL=self.broker_url,
            DJANGO_SECRET_KEY="celery-test-worker",
            DJANGO_ENV_FILE=str(self.folder / "no.env"),  # not the checkout's .env
            EXECUTOR_SCRIPTS=str(TEST_CATALOG),
            PYTHONUNBUFFERED="1",  # the worker's own log, read to see it is ready
        )
        env.update(environment)
        log_path = self.folder / f"{name}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "executor_site",
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


def database_url():
    """The test database, as the workers must reach it."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{quote(db['NAME'], safe='')}"


@pytest.fixture(scope="module")
def cluster(broker, django_db_setup, tmp_path_factory):
    """Two workers for a whole test module: `one` takes the default and gpu queues,
    `two` only the default one."""
    workers = Workers(broker, database_url(), tmp_path_factory.mktemp("workers"))
    try:
        one, two = workers.start_all({"name": "one", "queues": ("default", "gpu")}, {"name": "two"})
        yield {"broker": broker, "one": one, "two": two, "workers": workers}
    finally:
        workers.stop_all()


@pytest.fixture
def workers(broker, django_db_setup, tmp_path):
    """Workers of a test's own, for tests that kill them."""
    started = Workers(broker, database_url(), tmp_path)
    yield started
    started.stop_all()


@pytest.fixture
def celery_backend(settings, broker, transactional_db):
    """This (web) process submits through Celery to the given broker."""
    settings.CELERY_BROKER_URL = broker
    settings.EXECUTOR_BACKEND = "celery"
    from tasks.executor.backends import get_backend

    return get_backend()
