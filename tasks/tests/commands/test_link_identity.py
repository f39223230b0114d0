"""`manage.py link_identity`: an existing account becomes a provider user's only when an
administrator says so, and every refusal changes nothing. (The sign-in through a linked
account against a real directory is in tasks/tests/ldap/test_identities.py.)"""

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from tasks.models import AuditAction, AuditEvent, ProviderIdentity

pytestmark = pytest.mark.django_db

ISSUER = "https://id.example.test/realms/main"


@pytest.fixture
def oidc_issuer(settings):
    settings.EXECUTOR_OIDC_ISSUER = ISSUER + "/"


def test_it_links_an_account_to_the_providers_sub_and_audits_it(user, oidc_issuer, capsys):
    call_command("link_identity", "alice", "--oidc", "8f2c-41")
    identity = ProviderIdentity.objects.get()
    assert (identity.user, identity.provider, identity.subject) == (
        user,
        f"oidc:{ISSUER}",
        "8f2c-41",
    )
    assert f"oidc:{ISSUER} user 8f2c-41 now signs in as alice." in capsys.readouterr().out
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_name) == (AuditAction.LINK_IDENTITY, "(command line)")
    assert event.details == {"account": "alice", "provider": f"oidc:{ISSUER}", "subject": "8f2c-41"}


def test_a_dn_is_kept_normalised_so_the_directory_finds_it(user):
    call_command("link_identity", "alice", "--ldap", "UID=Alice, OU=People,DC=example,DC=org")
    assert ProviderIdentity.objects.get().subject == "uid=alice,ou=people,dc=example,dc=org"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nobody", "--ldap", "uid=x,dc=org"], "No such user: nobody"),
        (["alice", "--oidc", "sub-1"], "No OpenID provider: set EXECUTOR_OIDC_ISSUER"),
        (["alice", "--ldap", "not a dn"], "is not a distinguished name"),
        (["alice", "--unlink", "ldap"], "alice is not linked to ldap"),
    ],
    ids=["unknown-user", "no-issuer", "not-a-dn", "nothing-to-unlink"],
)
def test_a_mistake_is_named_and_changes_nothing(user, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("link_identity", *arguments)
    assert not ProviderIdentity.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_provider_user_with_an_account_already_is_not_linked_to_a_second(user, oidc_issuer):
    other = User.objects.create_user("bob")
    call_command("link_identity", "bob", "--oidc", "sub-1")
    with pytest.raises(CommandError, match="signs in as 'bob' already"):
        call_command("link_identity", "alice", "--oidc", "sub-1")
    with pytest.raises(CommandError, match=r"'bob' is oidc:.* user 'sub-1' already"):
        call_command("link_identity", "bob", "--oidc", "sub-2")
    assert list(ProviderIdentity.objects.values_list("user", "subject")) == [(other.pk, "sub-1")]


def test_unlinking_removes_the_link_and_audits_it(user, oidc_issuer):
    call_command("link_identity", "alice", "--oidc", "sub-1")
    call_command("link_identity", "alice", "--unlink", "oidc")
    assert not ProviderIdentity.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.UNLINK_IDENTITY).count() == 1
