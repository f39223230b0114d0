"""The API tokens page: issue a token (its key shown once), use it, revoke it."""

import re

import pytest
from rest_framework.test import APIClient

from tasks.models import AuditAction, AuditEvent, ScopedToken


def key_on(page):
    found = re.search(r'<code id="new-key">([^<]+)</code>', page)
    return found[1] if found else None


@pytest.mark.django_db
def test_a_user_issues_a_token_sees_its_key_once_and_revokes_it(client, user):
    client.force_login(user)
    response = client.post(
        "/account/tokens/",
        {"name": "ci", "expires_in": "30", "read_only": "on", "scripts": ["echo"]},
    )
    assert response.status_code == 200
    key = key_on(response.content.decode())
    assert key
    assert key.startswith("exk_")
    token = ScopedToken.objects.get(user=user)
    assert (token.name, token.read_only, token.scripts) == ("ci", True, ["echo"])
    assert token.expires_at is not None
    again = client.get("/account/tokens/").content.decode()
    assert key_on(again) is None
    assert key not in again
    assert token.prefix in again
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/tasks").status_code == 200
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    assert api.get("/api/tasks").status_code == 401


@pytest.mark.django_db
def test_a_duplicate_name_is_refused_with_a_message(client, user):
    ScopedToken.issue(user, "ci")
    client.force_login(user)
    response = client.post("/account/tokens/", {"name": "ci", "expires_in": ""})
    assert response.status_code == 400
    assert "You already have a token with this name." in response.content.decode()
    assert ScopedToken.objects.count() == 1


@pytest.mark.django_db
def test_only_scripts_the_user_may_run_are_offered_and_others_are_refused(client, user):
    client.force_login(user)
    response = client.post("/account/tokens/", {"name": "x", "scripts": ["no-such-script"]})
    assert response.status_code == 400
    assert not ScopedToken.objects.exists()


@pytest.mark.django_db
def test_nobody_revokes_another_users_token(client, user, other_user):
    token, _ = ScopedToken.issue(other_user, "theirs")
    client.force_login(user)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.django_db
def test_the_list_shows_each_tokens_scope(client, user):
    ScopedToken.issue(user, "a-rather-long-token-name-for-ci-deploys", read_only=True)
    ScopedToken.issue(user, "deploy", scripts=["echo", "lines"])
    client.force_login(user)
    page = client.get("/account/tokens/").content.decode()
    assert "read only" in page
    assert "echo, lines" in page


def status_regions(page):
    return re.findall(r'<div class="messages-region" role="status">(.*?)</div>', page, re.S)


@pytest.mark.django_db
def test_creating_and_revoking_are_announced_in_a_status_region_and_audited(client, user):
    client.force_login(user)
    page = client.post("/account/tokens/", {"name": "ci", "expires_in": ""}).content.decode()
    (region,) = status_regions(page)
    assert "Token &#x27;ci&#x27; created: copy its key now." in region
    token = ScopedToken.objects.get()
    page = client.post(f"/account/tokens/{token.pk}/revoke/", follow=True).content.decode()
    (region,) = status_regions(page)
    assert "Revoked &#x27;ci&#x27;: it no longer works." in region
    events = AuditEvent.objects.order_by("at")
    assert [(e.action, e.actor, e.details["token"]) for e in events] == [
        (AuditAction.ISSUE_TOKEN, user, "ci"),
        (AuditAction.REVOKE_TOKEN, user, "ci"),
    ]
    (empty,) = status_regions(client.get("/account/tokens/").content.decode())
    assert empty.strip() == ""
