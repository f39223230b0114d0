"""Sign-in tests against a real slapd on loopback (tasks.tests.ldap.directory): skipped
when slapd is not installed, failed instead when EXECUTOR_TEST_REQUIRE names `ldap`.

One slapd serves the whole test session (each xdist worker has its own): a test that
changes group memberships gets them restored after it (`directory`), and a test that needs
a directory that is gone or silent gets an address of its own (`gone_directory`)."""

from types import SimpleNamespace

import pytest

from executor_site.ldap_settings import ldap_from_environment
from tasks.tests.helpers import free_port
from tasks.tests.ldap.directory import (
    GROUPS,
    PEOPLE,
    READER_DN,
    READER_PASSWORD,
    Directory,
    group_dn,
    slapd_path,
)
from tasks.tests.requirements import require_or_skip

BACKENDS = ["tasks.web.ldap_backend.DirectoryBackend", "django.contrib.auth.backends.ModelBackend"]


def require_slapd():
    require_or_skip(
        "ldap",
        slapd_path() is not None,
        "slapd is not installed (Debian: apt-get install slapd ldap-utils)",
    )


@pytest.fixture(scope="session")
def shared_directory(tmp_path_factory):
    require_slapd()
    started = Directory(tmp_path_factory.mktemp("slapd") / "slapd").start()
    yield started
    started.stop()


@pytest.fixture
def directory(shared_directory):
    yield shared_directory
    shared_directory.restore_members()


@pytest.fixture
def gone_directory():
    """Where no directory listens (a port just found free): for the tests of an
    unreachable one, without stopping the shared slapd."""
    return SimpleNamespace(url=f"ldap://127.0.0.1:{free_port()}")


@pytest.fixture
def use_directory(settings, monkeypatch):
    """Point the site at a directory through the EXECUTOR_LDAP_* variables, as an
    operator would: use_directory(directory, EXECUTOR_LDAP_GROUP_TYPE="...")."""

    def use(directory, **variables):
        environment = {
            "EXECUTOR_LDAP_URL": directory.url,
            "EXECUTOR_LDAP_BIND_DN": READER_DN,
            "EXECUTOR_LDAP_BIND_PASSWORD": READER_PASSWORD,
            "EXECUTOR_LDAP_USER_BASE": PEOPLE,
            "EXECUTOR_LDAP_GROUP_BASE": GROUPS,
            "EXECUTOR_LDAP_GROUP_TYPE": "nested-group-of-names",
            "EXECUTOR_LDAP_STAFF_GROUPS": group_dn("admins"),
            "EXECUTOR_LDAP_SUPERUSER_GROUPS": group_dn("superusers"),
            "EXECUTOR_LDAP_TIMEOUT": "10",
            **variables,
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        for name, value in ldap_from_environment().items():
            setattr(settings, name, value)
        settings.AUTHENTICATION_BACKENDS = BACKENDS

    return use


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Local accounts beside the directory: hashing properly takes most of a second here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
