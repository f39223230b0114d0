"""Linking an account to a provider's user on the user's admin page: superusers only,
through the service that audits it, with the DN kept as the directory compares it."""

import pytest
from django.contrib.auth.models import User

from tasks.models import AuditAction, AuditEvent, ProviderIdentity

pytestmark = pytest.mark.django_db


def change_form(user, **identity):
    data = {
        "username": user.username,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "provider_identities-TOTAL_FORMS": "1",
        "provider_identities-INITIAL_FORMS": "0",
        "provider_identities-MIN_NUM_FORMS": "0",
        "provider_identities-MAX_NUM_FORMS": "1000",
    }
    for name, value in identity.items():
        data[f"provider_identities-0-{name}"] = value
    return data


def test_a_superuser_links_an_account_to_a_directory_entry(client, admin_user, user):
    client.force_login(admin_user)
    response = client.post(
        f"/admin/auth/user/{user.pk}/change/",
        change_form(user, provider="ldap", subject="UID=Alice, OU=People,DC=example,DC=org"),
    )
    assert response.status_code == 302, response.context["inline_admin_formsets"]
    identity = ProviderIdentity.objects.get(user=user)
    assert (identity.provider, identity.subject) == (
        "ldap",
        "uid=alice,ou=people,dc=example,dc=org",
    )
    event = AuditEvent.objects.get(action=AuditAction.LINK_IDENTITY)
    assert (event.actor, event.details["account"]) == (admin_user, "alice")
    user.refresh_from_db()
    assert user.check_password("alice-password-1")  # the rest of the account as it was


def test_an_identity_another_account_has_is_refused_on_the_form(client, admin_user, user):
    other = User.objects.create_user("bob")
    ProviderIdentity.objects.create(user=other, provider="oidc:https://id.test", subject="s1")
    client.force_login(admin_user)
    response = client.post(
        f"/admin/auth/user/{user.pk}/change/",
        change_form(user, provider="oidc:https://id.test", subject="s1"),
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert ProviderIdentity.objects.get().user == other


def test_the_page_lists_the_identities_and_unlinking_is_audited(client, admin_user, user):
    identity = ProviderIdentity.objects.create(user=user, provider="ldap", subject="uid=alice")
    client.force_login(admin_user)
    page = client.get(f"/admin/auth/user/{user.pk}/change/").content.decode()
    assert "uid=alice" in page
    data = change_form(user)
    data |= {
        "provider_identities-INITIAL_FORMS": "1",
        "provider_identities-0-id": str(identity.pk),
        "provider_identities-0-user": str(user.pk),
        "provider_identities-0-DELETE": "on",
    }
    assert client.post(f"/admin/auth/user/{user.pk}/change/", data).status_code == 302
    assert not ProviderIdentity.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.UNLINK_IDENTITY).count() == 1
