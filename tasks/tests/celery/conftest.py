"""Real Celery workers, started as `celery -A executor_site worker` processes, against the
test database (PostgreSQL) and a real broker: Redis and RabbitMQ in turn, each in a
namespace of this run's own (a Redis database index, a RabbitMQ vhost), emptied or
deleted afterwards. Every worker process is killed in teardown; every wait has a timeout.
"""

import contextlib
import os
import time

import pytest
from django.conf import settings as django_settings
from django.core.management.base import CommandError
from django.db import OperationalError
from django.test import testcases

from tasks.tests.celery.cluster import Unavailable, Workers, rabbitmq_vhost, redis_namespace
from tasks.tests.conftest import TEST_CATALOG
from tasks.tests.helpers import database_url
from tasks.tests.requirements import require_or_skip

SERVERS = {
    "redis": os.environ.get("EXECUTOR_TEST_REDIS", "redis://127.0.0.1:6379"),
    "rabbitmq": os.environ.get("EXECUTOR_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672"),
}
NAMESPACES = {"redis": redis_namespace, "rabbitmq": rabbitmq_vhost}
# The workers' timings: quick heartbeats, so that a killed worker's run is declared
# interrupted within seconds.
WORKER_SETTINGS = {
    "EXECUTOR_KILL_GRACE": "1",
    "EXECUTOR_HEARTBEAT_INTERVAL": "0.5",
    "EXECUTOR_STALE_AFTER": "3",
    # Notifications: the first retry after a fifth of a second.
    "EXECUTOR_NOTIFY_RETRY_BASE": "0.2",
}

_flush_after_test = testcases.TransactionTestCase._fixture_teardown


def _flush_retrying_deadlocks(self):
    """The workers of a module's cluster keep working after a test ends (redelivered
    messages, housekeeping), and the flush's TRUNCATE can deadlock with one of their
    transactions; PostgreSQL then aborts the flush (rolled back whole), which is retried
    instead of failing this test and the next."""
    for attempt in range(5):
        try:
            return _flush_after_test(self)
        except CommandError as error:
            cause = error.__cause__
            if (
                attempt == 4
                or not isinstance(cause, OperationalError)
                or "deadlock" not in str(cause)
            ):
                raise
            time.sleep(0.2)


testcases.TransactionTestCase._fixture_teardown = _flush_retrying_deadlocks


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Hashing a user's password properly takes most of a second here; these tests need
    # users, not strong hashes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", params=["redis", "rabbitmq"])
def broker(request):
    """The broker URL of a namespace of this test run's own, on each broker in turn."""
    name = request.param
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(NAMESPACES[name](SERVERS[name]))
        except Unavailable as exc:
            require_or_skip(name, False, str(exc))
        yield url


def workers_for(broker, folder):
    # The web side's secret key, as every machine of a deployment has it: runs with
    # secret parameters are sealed with it, and the worker opens the seal.
    environment = {**WORKER_SETTINGS, "DJANGO_SECRET_KEY": django_settings.SECRET_KEY}
    return Workers(broker, database_url(), TEST_CATALOG, folder, environment)


@pytest.fixture(scope="module")
def cluster(broker, django_db_setup, tmp_path_factory):
    """Two workers for a whole test module: `one` takes the default and gpu queues,
    `two` only the default one."""
    workers = workers_for(broker, tmp_path_factory.mktemp("workers"))
    try:
        one, two = workers.start_all({"name": "one", "queues": ("default", "gpu")}, {"name": "two"})
        yield {"broker": broker, "one": one, "two": two, "workers": workers}
    finally:
        workers.stop_all()


@pytest.fixture
def workers(broker, django_db_setup, tmp_path):
    """Workers of a test's own, for tests that kill them."""
    started = workers_for(broker, tmp_path)
    yield started
    started.stop_all()


@pytest.fixture
def celery_backend(settings, broker, transactional_db):
    """This (web) process submits through Celery to the given broker."""
    settings.CELERY_BROKER_URL = broker
    settings.EXECUTOR_BACKEND = "celery"
    from tasks.executor.backends import get_backend

    return get_backend()
