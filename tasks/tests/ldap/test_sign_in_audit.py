"""Sign-ins through the directory in the audit trail, against a real slapd: the source is
"ldap" when the directory had the name, and the reason says what the directory said."""

import pytest

from tasks.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def sign_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def failure():
    return AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)


def test_a_directory_sign_in_and_sign_out_are_recorded(client, directory, use_directory):
    use_directory(directory)
    assert sign_in(client, "alice", "alice-pw").status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN)
    assert (event.actor_name, event.details) == ("alice", {"source": "ldap", "ip": "127.0.0.1"})
    client.post("/accounts/logout/")
    assert AuditEvent.objects.get(action=AuditAction.SIGN_OUT).details["source"] == "ldap"


def test_a_password_the_directory_refused_is_recorded(client, directory, use_directory):
    use_directory(directory)
    sign_in(client, "alice", "wrong")
    event = failure()
    assert (event.actor, event.actor_name, event.details["source"]) == (None, "alice", "ldap")
    assert event.details["reason"].startswith("the directory refused the password")


def test_a_name_neither_the_directory_nor_the_site_has_is_recorded(
    client, directory, use_directory
):
    use_directory(directory)
    sign_in(client, "mallory", "mallory-pw")
    assert failure().details == {
        "source": "local",
        "ip": "127.0.0.1",
        "reason": "no local account of that name; no such user in the directory",
    }


def test_an_ldap_injection_is_recorded(client, directory, use_directory):
    use_directory(directory)
    sign_in(client, "*)(uid=*", "x")
    event = failure()
    assert (event.actor_name, event.details["source"]) == ("*)(uid=*", "ldap")
    assert event.details["reason"] == "the user name holds LDAP filter characters"


def test_an_unreachable_directory_is_recorded(client, use_directory, gone_directory):
    use_directory(gone_directory, EXECUTOR_LDAP_TIMEOUT="2")
    sign_in(client, "alice", "alice-pw")
    assert "the directory could not be asked: SERVER_DOWN" in failure().details["reason"]
