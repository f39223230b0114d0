"""`manage.py check` warns when LDAP sign-in would send passwords unencrypted."""

import pytest

from tasks.checks.security import check_ldap_encrypted


@pytest.mark.parametrize(
    ("url", "start_tls", "warned"),
    [
        ("", False, False),
        ("ldap://ldap.example.org", False, True),
        ("ldap://ldap.example.org", True, False),
        ("ldaps://dc1.example.org", False, False),
        ("ldap://127.0.0.1:3890", False, False),
        ("ldapi://%2Frun%2Fslapd%2Fldapi", False, False),
        ("ldaps://dc1.example.org ldap://dc2.example.org", False, True),
    ],
)
def test_clear_ldap_is_warned_about(settings, url, start_tls, warned):
    settings.AUTH_LDAP_SERVER_URI = url
    settings.AUTH_LDAP_START_TLS = start_tls
    found = check_ldap_encrypted()
    assert [warning.id for warning in found] == (["executor.W045"] if warned else [])
    if warned:
        assert "dc2.example.org" in found[0].msg or "ldap.example.org" in found[0].msg
