"""Signing in and out with a local account leaves audit rows: who (or the name tried),
from where, and why a sign-in failed; the admin's audit list shows them. (The LDAP and
OpenID Connect rows are tested against their real providers: tasks/tests/ldap/
test_sign_in_audit.py, tasks/tests/browser/test_oidc_sign_in.py.)"""

import pytest

from tasks.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def sign_in(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def only(action):
    return AuditEvent.objects.get(action=action)


def test_a_sign_in_is_recorded_with_its_source_and_address(client, user):
    assert sign_in(client, "alice", "alice-password-1", REMOTE_ADDR="192.0.2.7").status_code == 302
    event = only(AuditAction.SIGN_IN)
    assert (event.actor, event.actor_name) == (user, "alice")
    assert event.details == {"source": "local", "ip": "192.0.2.7"}


@pytest.mark.parametrize(
    ("username", "reason"),
    [("alice", "wrong password"), ("nobody", "no local account of that name")],
    ids=["wrong-password", "unknown-user"],
)
def test_a_failed_sign_in_is_recorded_with_the_name_tried_and_why(client, user, username, reason):
    assert sign_in(client, username, "guess").status_code == 200
    event = only(AuditAction.SIGN_IN_FAILED)
    assert (event.actor, event.actor_name) == (None, username)
    assert event.details == {"source": "local", "ip": "127.0.0.1", "reason": reason}


def test_a_deactivated_account_is_recorded_as_such(client, user):
    user.is_active = False
    user.save()
    sign_in(client, "alice", "alice-password-1")
    assert only(AuditAction.SIGN_IN_FAILED).details["reason"] == "the account is deactivated"


def test_a_sign_in_refused_by_the_limit_is_recorded(client, user, settings):
    settings.EXECUTOR_LOGIN_RATE = (1, 900)
    sign_in(client, "alice", "guess")
    assert sign_in(client, "alice", "alice-password-1").status_code == 429
    reasons = list(
        AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED)
        .order_by("at", "pk")
        .values_list("details__reason", flat=True)
    )
    assert reasons == ["wrong password", "too many failed sign-ins (limit)"]
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_IN).exists()


def test_a_password_with_local_accounts_off_is_recorded(client, user, settings):
    settings.EXECUTOR_LOCAL_LOGIN = False
    assert sign_in(client, "alice", "alice-password-1").status_code == 403
    assert only(AuditAction.SIGN_IN_FAILED).details["reason"] == "password sign-in is turned off"


def test_an_empty_form_is_no_attempt(client, user):
    sign_in(client, "", "")
    assert not AuditEvent.objects.exists()


def test_signing_out_is_recorded(client, user):
    sign_in(client, "alice", "alice-password-1")
    assert client.post("/accounts/logout/").status_code == 302
    event = only(AuditAction.SIGN_OUT)
    assert event.actor == user
    assert event.details == {"source": "local", "ip": "127.0.0.1", "at_provider": False}
    # Nobody to sign out: no row.
    client.post("/accounts/logout/")
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_OUT).count() == 1


def test_the_admins_audit_list_shows_sign_ins_with_source_address_and_reason(
    client, user, admin_user
):
    sign_in(client, "alice", "guess", REMOTE_ADDR="198.51.100.4")
    client.force_login(admin_user)
    page = client.get("/admin/tasks/auditevent/?action=sign_in_failed").content.decode()
    assert "Failed to sign in" in page
    assert "local · 198.51.100.4 · wrong password" in page
