"""Signing in through the sign-in form against a real slapd: the user made from the
directory, groups mirrored to Django groups (which the catalog's access reads), staff and
superuser from groups (nested ones included), and every change applied at the next
sign-in."""

import logging

import pytest
from django.contrib.auth.models import Group, User

from tasks.access import can_run
from tasks.catalog import get_catalog
from tasks.models import ProviderIdentity
from tasks.tests.conftest import token_client
from tasks.tests.ldap.directory import group_dn, person_dn

pytestmark = pytest.mark.django_db


def sign_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def signed_in_user(client):
    return User.objects.get(pk=client.session["_auth_user_id"])


def group_names(user):
    return set(user.groups.values_list("name", flat=True))


def test_a_directory_user_signs_in_and_is_made_from_the_directory(client, directory, use_directory):
    use_directory(directory)
    response = sign_in(client, "alice", "alice-pw")
    assert response.status_code == 302
    alice = signed_in_user(client)
    assert (alice.username, alice.first_name, alice.last_name, alice.email) == (
        "alice",
        "Alice",
        "Liddell",
        "alice@example.org",
    )
    assert not alice.has_usable_password()
    assert client.get("/").status_code == 200


def test_directory_groups_become_django_groups_that_the_catalog_reads(
    client, directory, use_directory
):
    use_directory(directory)
    sign_in(client, "alice", "alice-pw")
    alice = signed_in_user(client)
    assert group_names(alice) == {"club"}
    assert can_run(alice, get_catalog().get("secret_club"))
    assert (alice.is_staff, alice.is_superuser) == (False, False)


def test_membership_of_a_nested_group_gives_its_role(client, directory, use_directory):
    # bob is in leads; leads is a member of admins, the staff group.
    use_directory(directory)
    sign_in(client, "bob", "bob-pw")
    bob = signed_in_user(client)
    assert bob.is_staff
    assert not bob.is_superuser
    assert group_names(bob) == {"leads", "admins"}


def test_without_the_nested_group_type_the_nested_membership_gives_nothing(
    client, directory, use_directory
):
    use_directory(directory, EXECUTOR_LDAP_GROUP_TYPE="group-of-names")
    sign_in(client, "bob", "bob-pw")
    bob = signed_in_user(client)
    assert not bob.is_staff
    assert group_names(bob) == {"leads"}


def test_the_active_directory_group_type_reads_member_and_nesting(client, directory, use_directory):
    # Active Directory's groups are objectClass=group with `member`; this slapd has
    # groupOfNames with the same attribute, so only the filter differs.
    use_directory(
        directory,
        EXECUTOR_LDAP_GROUP_TYPE="nested-active-directory",
        EXECUTOR_LDAP_GROUP_FILTER="(objectClass=groupOfNames)",
    )
    sign_in(client, "bob", "bob-pw")
    assert signed_in_user(client).is_staff


def test_removal_from_a_group_takes_effect_at_the_next_sign_in(client, directory, use_directory):
    use_directory(directory)
    sign_in(client, "alice", "alice-pw")
    secret_club = get_catalog().get("secret_club")
    assert can_run(signed_in_user(client), secret_club)

    directory.remove_member("club", person_dn("alice"))
    client.post("/accounts/logout/")
    assert sign_in(client, "alice", "alice-pw").status_code == 302
    alice = signed_in_user(client)
    assert group_names(alice) == set()
    assert not can_run(alice, secret_club)


def test_losing_the_superuser_group_takes_the_flag_away_at_the_next_sign_in(
    client, directory, use_directory
):
    use_directory(directory)
    sign_in(client, "erin", "erin-pw")
    assert signed_in_user(client).is_superuser

    # A groupOfNames keeps at least one member.
    directory.add_member("superusers", person_dn("bob"))
    directory.remove_member("superusers", person_dn("erin"))
    client.post("/accounts/logout/")
    sign_in(client, "erin", "erin-pw")
    erin = signed_in_user(client)
    assert (erin.is_superuser, group_names(erin)) == (False, {"club"})


def test_only_the_listed_groups_are_mirrored_and_local_ones_stay(client, directory, use_directory):
    use_directory(directory, EXECUTOR_LDAP_MIRROR_GROUPS="club")
    erin = User.objects.create_user("erin")
    ProviderIdentity.objects.create(user=erin, provider="ldap", subject=person_dn("erin"))
    erin.groups.add(Group.objects.create(name="on-call"))
    sign_in(client, "erin", "erin-pw")
    assert group_names(signed_in_user(client)) == {"club", "on-call"}


def test_a_required_group_keeps_everyone_else_out(client, directory, use_directory):
    use_directory(directory, EXECUTOR_LDAP_REQUIRE_GROUP=group_dn("club"))
    assert sign_in(client, "carol", "carol-pw").status_code == 200
    assert sign_in(client, "alice", "alice-pw").status_code == 302


def test_local_accounts_still_sign_in_beside_the_directory(client, directory, use_directory):
    use_directory(directory)
    User.objects.create_user("local-admin", password="local-pw")
    assert sign_in(client, "local-admin", "local-pw").status_code == 302
    assert signed_in_user(client).username == "local-admin"


def test_with_local_accounts_off_the_form_stays_for_directory_accounts_only(
    client, directory, use_directory, settings
):
    use_directory(directory)
    settings.EXECUTOR_LOCAL_LOGIN = False
    settings.AUTHENTICATION_BACKENDS = ["tasks.web.ldap_backend.DirectoryBackend"]
    User.objects.create_user("local-admin", password="local-pw")
    assert b'name="password"' in client.get("/accounts/login/").content
    assert sign_in(client, "local-admin", "local-pw").status_code == 200
    assert sign_in(client, "alice", "alice-pw").status_code == 302
    assert signed_in_user(client).username == "alice"


@pytest.mark.parametrize(
    ("username", "password", "logged"),
    [
        ("alice", "wrong", "LDAP sign-in failed for 'alice': the directory refused the password"),
        ("mallory", "mallory-pw", "LDAP sign-in failed for 'mallory': no such user"),
    ],
)
def test_a_wrong_password_or_an_unknown_user_is_refused_clearly_and_logged(
    client, directory, use_directory, caplog, username, password, logged
):
    use_directory(directory)
    with caplog.at_level(logging.WARNING, "tasks.web.ldap_backend"):
        response = sign_in(client, username, password)
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert any(logged in message for message in caplog.messages)
    assert not User.objects.filter(username=username).exists()


def test_deactivating_a_directory_user_ends_their_session(client, directory, use_directory):
    use_directory(directory)
    sign_in(client, "alice", "alice-pw")
    assert client.get("/").status_code == 200
    User.objects.filter(username="alice").update(is_active=False)
    assert client.get("/").status_code == 302
    assert sign_in(client, "alice", "alice-pw").status_code == 200


def test_the_users_api_token_follows_the_groups_of_their_last_sign_in(
    client, directory, use_directory
):
    use_directory(directory)
    sign_in(client, "alice", "alice-pw")
    api = token_client(signed_in_user(client))

    def scripts():
        response = api.get("/api/scripts/")
        assert response.status_code == 200, response.content
        return {script["key"] for script in response.json()["scripts"]}

    assert "secret_club" in scripts()
    directory.remove_member("club", person_dn("alice"))
    client.post("/accounts/logout/")
    sign_in(client, "alice", "alice-pw")
    assert "secret_club" not in scripts()
