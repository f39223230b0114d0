"""`manage.py revoke_token`: a revoked token gets 401 on its very next request."""

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tasks.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def test_a_revoked_token_stops_working_at_once(api, user, capsys):
    assert api.get("/api/tasks").status_code == 200
    call_command("revoke_token", "alice")
    response = api.get("/api/tasks")
    assert response.status_code == 401
    assert response.json() == {"success": False, "error": "Invalid token."}
    assert response["WWW-Authenticate"] == "Token"
    assert "Revoked the API token of alice." in capsys.readouterr().out
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_name, event.details) == (
        AuditAction.REVOKE_TOKEN,
        "(command line)",
        {"user": "alice"},
    )


def test_it_says_when_there_is_nothing_to_revoke(user, capsys):
    call_command("revoke_token", "alice")
    assert "alice has no API token" in capsys.readouterr().out


def test_an_unknown_user_revokes_nothing(api, user):
    with pytest.raises(CommandError, match="No such user: nobody"):
        call_command("revoke_token", "alice", "nobody")
    assert Token.objects.filter(user=user).exists()


def test_tokens_are_created_and_revoked_in_the_admin_too(client, admin_user, user):
    client.force_login(admin_user)
    response = client.post("/admin/authtoken/tokenproxy/add/", {"user": user.pk})
    assert response.status_code == 302
    token = Token.objects.get(user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/tasks").status_code == 200
    # The admin names a token by its user's id.
    response = client.post(f"/admin/authtoken/tokenproxy/{user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert api.get("/api/tasks").status_code == 401
