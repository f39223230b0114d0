"""LDAP sign-in against a real slapd. The whole package is skipped where django-auth-ldap is
not installed (requirements-ldap.txt: python-ldap needs a compiler and headers), and fails
instead when EXECUTOR_TEST_REQUIRE names `ldap`."""

import importlib.util

import pytest

from tasks.tests.requirements import required

if importlib.util.find_spec("django_auth_ldap") is None or importlib.util.find_spec("ldap") is None:
    REASON = "django-auth-ldap is not installed (.venv/bin/pip install -r requirements-ldap.txt)"
    if required("ldap"):
        pytest.fail(f"{REASON} (EXECUTOR_TEST_REQUIRE includes 'ldap')", pytrace=False)
    pytest.skip(REASON, allow_module_level=True)
