"""executor_site.ldap_settings: off unless EXECUTOR_LDAP_URL is set; each mistake in the
EXECUTOR_LDAP_* variables stops the start with a message naming the variable."""

import subprocess
import sys
from pathlib import Path

import ldap
import pytest
from django.core.exceptions import ImproperlyConfigured
from django_auth_ldap.config import NestedActiveDirectoryGroupType

from executor_site.ldap_settings import ldap_from_environment

ROOT = Path(__file__).resolve().parents[3]
BASE = {
    "EXECUTOR_LDAP_URL": "ldap://ldap.example.org",
    "EXECUTOR_LDAP_USER_BASE": "ou=people,dc=example,dc=org",
}


@pytest.fixture
def environment(monkeypatch):
    for name in (
        "EXECUTOR_LDAP_URL",
        "EXECUTOR_LDAP_BIND_DN",
        "EXECUTOR_LDAP_USER_BASE",
        "EXECUTOR_LDAP_USER_FILTER",
        "EXECUTOR_LDAP_GROUP_BASE",
        "EXECUTOR_LDAP_GROUP_TYPE",
        "EXECUTOR_LDAP_GROUP_FILTER",
        "EXECUTOR_LDAP_STAFF_GROUPS",
        "EXECUTOR_LDAP_SUPERUSER_GROUPS",
        "EXECUTOR_LDAP_REQUIRE_GROUP",
        "EXECUTOR_LDAP_MIRROR_GROUPS",
        "EXECUTOR_LDAP_START_TLS",
        "EXECUTOR_LDAP_CA_FILE",
    ):
        monkeypatch.delenv(name, raising=False)

    def set_to(**variables):
        for name, value in {**BASE, **variables}.items():
            monkeypatch.setenv(name, value)
        return ldap_from_environment()

    return set_to


def test_off_unless_a_server_is_named(monkeypatch):
    monkeypatch.delenv("EXECUTOR_LDAP_URL", raising=False)
    assert ldap_from_environment() == {}


def test_the_site_keeps_djangos_backend_alone_when_ldap_is_off():
    # In a process of its own: the settings module is read once.
    code = "from django.conf import settings; print(settings.AUTHENTICATION_BACKENDS)"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env={
            "DJANGO_SETTINGS_MODULE": "executor_site.settings",
            "DJANGO_TESTING": "1",
            "DJANGO_ENV_FILE": "/dev/null",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == "['django.contrib.auth.backends.ModelBackend']"


def test_an_active_directory_configuration(environment):
    settings = environment(
        EXECUTOR_LDAP_URL="ldaps://dc1.example.org",
        EXECUTOR_LDAP_USER_FILTER="(sAMAccountName=%(user)s)",
        EXECUTOR_LDAP_GROUP_BASE="ou=groups,dc=example,dc=org",
        EXECUTOR_LDAP_GROUP_TYPE="nested-active-directory",
        EXECUTOR_LDAP_STAFF_GROUPS="cn=IT Admins,ou=groups,dc=example,dc=org; "
        "cn=Ops,ou=groups,dc=example,dc=org",
        EXECUTOR_LDAP_CA_FILE="/etc/ssl/certs/corp-ca.pem",
    )
    assert settings["AUTH_LDAP_SERVER_URI"] == "ldaps://dc1.example.org"
    assert settings["AUTH_LDAP_USER_SEARCH"].filterstr == "(sAMAccountName=%(user)s)"
    assert isinstance(settings["AUTH_LDAP_GROUP_TYPE"], NestedActiveDirectoryGroupType)
    assert settings["AUTH_LDAP_GROUP_SEARCH"].filterstr == "(objectClass=group)"
    assert settings["AUTH_LDAP_USER_FLAGS_BY_GROUP"] == {
        "is_staff": [
            "cn=IT Admins,ou=groups,dc=example,dc=org",
            "cn=Ops,ou=groups,dc=example,dc=org",
        ]
    }
    assert settings["AUTH_LDAP_MIRROR_GROUPS"] is True
    options = settings["AUTH_LDAP_CONNECTION_OPTIONS"]
    assert options[ldap.OPT_X_TLS_CACERTFILE] == "/etc/ssl/certs/corp-ca.pem"
    assert list(options)[-1] == ldap.OPT_X_TLS_NEWCTX  # read last, after the TLS options


@pytest.mark.parametrize(
    ("mirror", "expected"), [("off", False), ("ALL", True), ("club, ops", ["club", "ops"])]
)
def test_mirror_groups(environment, mirror, expected):
    settings = environment(
        EXECUTOR_LDAP_GROUP_BASE="ou=groups,dc=example,dc=org", EXECUTOR_LDAP_MIRROR_GROUPS=mirror
    )
    assert settings["AUTH_LDAP_MIRROR_GROUPS"] == expected


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"EXECUTOR_LDAP_URL": "ldap.example.org"}, "EXECUTOR_LDAP_URL must start with ldap://"),
        ({"EXECUTOR_LDAP_USER_BASE": ""}, "EXECUTOR_LDAP_USER_BASE must say where users are"),
        ({"EXECUTOR_LDAP_USER_BASE": "people"}, "EXECUTOR_LDAP_USER_BASE must be a distinguished"),
        ({"EXECUTOR_LDAP_USER_FILTER": "uid=%(user)s"}, "must be an LDAP filter in parentheses"),
        ({"EXECUTOR_LDAP_USER_FILTER": "(uid=alice)"}, "must say where the user name goes"),
        ({"EXECUTOR_LDAP_USER_FILTER": "(cn=%(user)s%)"}, "may hold no % other than %(user)s"),
        ({"EXECUTOR_LDAP_BIND_DN": "reader"}, "EXECUTOR_LDAP_BIND_DN must be a distinguished"),
        (
            {"EXECUTOR_LDAP_STAFF_GROUPS": "cn=admins,dc=example,dc=org"},
            "EXECUTOR_LDAP_STAFF_GROUPS needs EXECUTOR_LDAP_GROUP_BASE",
        ),
        (
            {"EXECUTOR_LDAP_GROUP_BASE": "ou=groups,dc=x", "EXECUTOR_LDAP_GROUP_TYPE": "ad"},
            "EXECUTOR_LDAP_GROUP_TYPE must be one of group-of-names, nested-group-of-names",
        ),
        (
            {"EXECUTOR_LDAP_GROUP_BASE": "ou=groups,dc=x", "EXECUTOR_LDAP_SUPERUSER_GROUPS": "x"},
            "EXECUTOR_LDAP_SUPERUSER_GROUPS must be a distinguished name",
        ),
        (
            {"EXECUTOR_LDAP_URL": "ldaps://dc1", "EXECUTOR_LDAP_START_TLS": "1"},
            "an ldaps:// URL is encrypted already",
        ),
        ({"EXECUTOR_LDAP_START_TLS": "maybe"}, "EXECUTOR_LDAP_START_TLS must be true or false"),
    ],
)
def test_each_mistake_is_named(environment, variables, message):
    with pytest.raises(ImproperlyConfigured) as refused:
        environment(**variables)
    assert message in str(refused.value)
