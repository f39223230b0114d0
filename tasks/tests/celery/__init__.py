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
