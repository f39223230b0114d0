"""Tests with real Celery worker processes (see conftest.py)."""

import pytest
from django.conf import settings


def skip_unless_postgres():
    """Skip the calling test module unless the test database is PostgreSQL."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip(
            "the Celery tests share a PostgreSQL database between processes, as a deployment "
            "does: ./bin/test runs them in its PostgreSQL pass (or set DATABASE_URL=postgres://...)",
            allow_module_level=True,
        )


# What differs between brokers is how a message is sent, acknowledged and redelivered
# (test_backend, test_worker_loss run on Redis and on RabbitMQ). Once a task has reached
# a worker, the run, its files, its notifications and its schedule go through the shared
# database whatever carried it: those modules run on one broker, Redis, the default
# CELERY_BROKER_URL, to keep the suite within its time.
ONE_BROKER = pytest.mark.parametrize("broker", ["redis"], indirect=True)
