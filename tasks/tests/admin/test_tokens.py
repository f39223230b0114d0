"""API tokens in the admin: created for a user, revoked by deleting them."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tasks.models import AuditAction, AuditEvent, ScopedToken

pytestmark = pytest.mark.django_db

URL = "/admin/authtoken/tokenproxy/"


def test_an_admin_creates_a_token_that_the_api_accepts(admin_client, user):
    response = admin_client.post(URL + "add/", {"user": user.pk})
    assert response.status_code == 302
    token = Token.objects.get(user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/tasks").status_code == 200


def test_an_admin_revokes_a_token_and_the_api_refuses_it(admin_client, user):
    token = Token.objects.create(user=user)
    response = admin_client.post(f"{URL}{user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Token.objects.exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get("/api/tasks")
    assert response.status_code == 401
    assert response.json() == {"success": False, "error": "Invalid token."}


def test_the_token_list_fetches_users_with_their_tokens(
    admin_client, django_user_model, django_assert_max_num_queries
):
    for number in range(30):
        Token.objects.create(user=django_user_model.objects.create_user(f"user{number}"))
    with django_assert_max_num_queries(8):
        assert admin_client.get(URL).status_code == 200


SCOPED = "/admin/tasks/scopedtoken/"


def test_an_admin_issues_a_scoped_token_shown_once_and_revokes_it(admin_client, user):
    form = {"user": user.pk, "name": "ci", "read_only": "on", "scripts": '["echo"]'}
    response = admin_client.post(SCOPED + "add/", form, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    key = shown[0].rsplit(": ", 1)[1]
    token = ScopedToken.objects.get(user=user)
    assert (token.name, token.read_only, token.scripts) == ("ci", True, ["echo"])
    assert key not in admin_client.get(f"{SCOPED}{token.pk}/change/").content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/tasks").status_code == 200
    admin_client.post(SCOPED, {"action": "revoke", "_selected_action": [token.pk]})
    assert api.get("/api/tasks").json()["error"] == "This token ('ci') was revoked."


def test_issuing_and_revoking_in_the_admin_are_audited(admin_client, admin_user, user):
    admin_client.post(SCOPED + "add/", {"user": user.pk, "name": "ci", "scripts": "[]"})
    token = ScopedToken.objects.get(user=user)
    admin_client.post(SCOPED, {"action": "revoke", "_selected_action": [token.pk]})
    events = AuditEvent.objects.order_by("at")
    assert [(e.action, e.actor, e.details["token"]) for e in events] == [
        (AuditAction.ISSUE_TOKEN, admin_user, "ci"),
        (AuditAction.REVOKE_TOKEN, admin_user, "ci"),
    ]


def test_an_unknown_script_in_the_scope_is_a_form_error_not_a_token(admin_client, user):
    form = {"user": user.pk, "name": "ci", "scripts": '["no-such"]'}
    response = admin_client.post(SCOPED + "add/", form)
    assert response.status_code == 200
    assert "no such script in the catalog: no-such" in response.content.decode()
    assert not ScopedToken.objects.exists()
    assert not AuditEvent.objects.exists()
