"""A directory user signs in as the account linked to their entry, never as a local
account that merely has their user name, against a real slapd."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

from tasks.models import AuditAction, AuditEvent, ProviderIdentity
from tasks.tests.ldap.directory import person_dn

pytestmark = pytest.mark.django_db


def sign_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def signed_in_user(client):
    return User.objects.get(pk=client.session["_auth_user_id"])


@pytest.fixture
def local_alice():
    alice = User.objects.create_user(
        "alice", password="local-pw", email="alice@local.test", is_staff=True
    )
    alice.groups.add(Group.objects.create(name="ops"))
    return alice


def test_a_directory_user_named_like_a_local_account_gets_an_account_of_its_own(
    client, directory, use_directory, local_alice
):
    use_directory(directory)
    assert sign_in(client, "alice", "alice-pw").status_code == 302
    signed_in = signed_in_user(client)
    assert signed_in.pk != local_alice.pk
    assert signed_in.username == "alice@127.0.0.1"
    assert set(signed_in.groups.values_list("name", flat=True)) == {"club"}
    assert ProviderIdentity.objects.get(user=signed_in).subject == person_dn("alice").lower()

    local_alice.refresh_from_db()
    assert local_alice.check_password("local-pw")
    assert (local_alice.email, local_alice.is_staff) == ("alice@local.test", True)
    assert set(local_alice.groups.values_list("name", flat=True)) == {"ops"}
    assert not ProviderIdentity.objects.filter(user=local_alice).exists()


def test_the_local_account_still_signs_in_with_its_own_password(
    client, directory, use_directory, local_alice
):
    use_directory(directory)
    assert sign_in(client, "alice", "local-pw").status_code == 302
    assert signed_in_user(client).pk == local_alice.pk


def test_the_next_sign_in_finds_the_account_by_its_entry_after_a_rename(
    client, directory, use_directory
):
    use_directory(directory)
    sign_in(client, "alice", "alice-pw")
    first = signed_in_user(client)
    User.objects.filter(pk=first.pk).update(username="alice.liddell")
    client.post("/accounts/logout/")

    assert sign_in(client, "ALICE", "alice-pw").status_code == 302
    assert signed_in_user(client).pk == first.pk
    assert not User.objects.filter(username__iexact="alice").exists()


def test_an_account_linked_by_an_administrator_is_the_one_signed_in(
    client, directory, use_directory, local_alice
):
    use_directory(directory)
    call_command("link_identity", "alice", "--ldap", person_dn("alice"))
    assert sign_in(client, "alice", "alice-pw").status_code == 302
    alice = signed_in_user(client)
    assert alice.pk == local_alice.pk
    # Now a directory account: the directory's name, e-mail and groups.
    assert (alice.email, set(alice.groups.values_list("name", flat=True))) == (
        "alice@example.org",
        {"club"},
    )
    linked = AuditEvent.objects.get(action=AuditAction.LINK_IDENTITY)
    assert linked.details["account"] == "alice"
    assert linked.details["subject"] == person_dn("alice").lower()


def test_accounts_made_before_identities_are_linked_by_a_lookup_in_the_directory(
    client, directory, use_directory
):
    # As django-auth-ldap made them before this site linked identities: no password.
    old = {name: User.objects.create_user(name) for name in ("alice", "bob")}
    use_directory(directory)
    call_command("link_identity", "alice", "bob", "--ldap-lookup")
    assert dict(ProviderIdentity.objects.values_list("user__username", "subject")) == {
        "alice": person_dn("alice").lower(),
        "bob": person_dn("bob").lower(),
    }
    sign_in(client, "bob", "bob-pw")
    assert signed_in_user(client).pk == old["bob"].pk


def test_a_lookup_that_finds_no_entry_links_nobody(directory, use_directory):
    User.objects.create_user("alice")
    User.objects.create_user("mallory")
    use_directory(directory)
    with pytest.raises(CommandError, match="The directory has no entry for mallory"):
        call_command("link_identity", "alice", "mallory", "--ldap-lookup")
    assert not ProviderIdentity.objects.exists()


def unlinked_provider_account(name):
    """An account as sign-ins made them before links existed: no password, no link."""
    account = User.objects.create_user(name, email=f"{name}@old.test")
    account.set_unusable_password()
    account.save()
    account.groups.add(Group.objects.create(name="kept-from-before"))
    return account


def test_an_upgrade_can_let_directory_users_take_back_their_unlinked_accounts(
    client, directory, use_directory, settings
):
    settings.EXECUTOR_SSO_ADOPT_UNLINKED = True
    before = unlinked_provider_account("alice")
    use_directory(directory)
    assert sign_in(client, "alice", "alice-pw").status_code == 302
    assert signed_in_user(client).pk == before.pk
    identity = ProviderIdentity.objects.get(user=before)
    assert (identity.provider, identity.subject) == ("ldap", person_dn("alice").lower())
    event = AuditEvent.objects.get(action=AuditAction.LINK_IDENTITY)
    assert event.details["account"] == "alice"
    assert event.actor_name.startswith("(first sign-in")


def test_adopting_never_takes_an_account_with_a_password_or_a_link(
    client, directory, use_directory, settings, local_alice
):
    settings.EXECUTOR_SSO_ADOPT_UNLINKED = True
    linked = unlinked_provider_account("bob")
    ProviderIdentity.objects.create(user=linked, provider="oidc:https://id.test", subject="b1")
    use_directory(directory)
    assert sign_in(client, "alice", "alice-pw").status_code == 302
    assert signed_in_user(client).username == "alice@127.0.0.1"  # the local one has a password
    client.logout()
    assert sign_in(client, "bob", "bob-pw").status_code == 302
    assert signed_in_user(client).username == "bob@127.0.0.1"  # linked to another provider


def test_without_the_upgrade_switch_an_unlinked_account_is_left_alone(
    client, directory, use_directory
):
    before = unlinked_provider_account("alice")
    use_directory(directory)
    assert sign_in(client, "alice", "alice-pw").status_code == 302
    assert signed_in_user(client).username == "alice@127.0.0.1"
    assert not ProviderIdentity.objects.filter(user=before).exists()
