"""The shared cast of the test suite: users, API clients, the test catalog and the engine."""

import contextlib
import os
import signal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tasks.catalog import clear_cache
from tasks.executor.backends import get_backend, reset_backend

TEST_CATALOG = Path(__file__).parent / "scripts" / "catalog.toml"


@pytest.fixture(autouse=True)
def executor_settings(settings, monkeypatch):
    """Every test gets the test catalog, fast timings and a backend that runs nothing.

    PYTHONUNBUFFERED is removed because this machine sets it and users' machines do
    not: live-output tests must pass without it."""
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    # The default hasher is slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EXECUTOR_SCRIPTS = str(TEST_CATALOG)
    settings.EXECUTOR_BACKEND = "record"
    settings.EXECUTOR_KILL_GRACE = 1.0
    settings.EXECUTOR_HEARTBEAT_INTERVAL = 0.5
    settings.EXECUTOR_STALE_AFTER = 30
    # Users are made in almost every test; the real hasher costs ~0.5 s each on 2 cores.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clear_cache()
    cache.clear()  # throttling counters: each test starts with none
    yield
    reset_backend()
    clear_cache()


@pytest.fixture
def engine(settings, transactional_db):
    """The real thread pool, against a real (committed) database."""
    settings.EXECUTOR_BACKEND = "thread"
    settings.EXECUTOR_MAX_WORKERS = 4
    backend = get_backend()
    backend.start()
    yield backend
    reset_backend()


@pytest.fixture
def inline(settings):
    """Runs each submitted task to its end inside the request that submits it."""
    settings.EXECUTOR_BACKEND = "inline"
    return get_backend()


@pytest.fixture
def recorded(settings):
    settings.EXECUTOR_BACKEND = "record"
    return get_backend()


@pytest.fixture
def user(db):
    return User.objects.create_user("alice", "alice@example.com", "alice-password-1")


@pytest.fixture
def other_user(db):
    return User.objects.create_user("bob", "bob@example.com", "bob-password-1")


@pytest.fixture
def staff(db):
    return User.objects.create_user("carol", "carol@example.com", "carol-password-1", is_staff=True)


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("root", "root@example.com", "root-password-1")


@pytest.fixture
def club(db):
    return Group.objects.create(name="club")


def token_client(user):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(user):
    """An API client signed in as alice with a token."""
    return token_client(user)


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def pidfile(tmp_path):
    """A file a test script writes its pids to; whatever is still alive is killed after."""
    path = tmp_path / "pids"
    yield path
    if path.exists():
        for pid in path.read_text().split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
