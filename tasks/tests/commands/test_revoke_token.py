"""`manage.py revoke_token`: a revoked token gets 401 on its very next request."""

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tasks.models import AuditAction, AuditEvent, ScopedToken

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


def test_a_scoped_token_is_revoked_by_its_name_and_stops_working(user, capsys):
    token, key = ScopedToken.issue(user, "ci")
    _, other_key = ScopedToken.issue(user, "laptop")
    call_command("revoke_token", "--user", "alice", "--name", "ci")
    assert f"Revoked alice's token 'ci' ({token.prefix}…)." in capsys.readouterr().out
    assert scoped_client(key).get("/api/tasks").status_code == 401
    assert scoped_client(other_key).get("/api/tasks").status_code == 200
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_name, event.details["token"]) == (
        AuditAction.REVOKE_TOKEN,
        "(command line)",
        "ci",
    )
    call_command("revoke_token", "--user", "alice", "--name", "ci")
    assert "was already revoked" in capsys.readouterr().out
    assert AuditEvent.objects.count() == 1


def test_scoped_revokes_every_scoped_token_of_the_user(user, other_user, capsys):
    _, first = ScopedToken.issue(user, "ci")
    _, second = ScopedToken.issue(user, "laptop")
    _, bobs = ScopedToken.issue(other_user, "ci")
    call_command("revoke_token", "--user", "alice", "--scoped")
    assert "Revoked 2 scoped token(s) of alice" in capsys.readouterr().out
    assert [scoped_client(k).get("/api/tasks").status_code for k in (first, second, bobs)] == [
        401,
        401,
        200,
    ]
    call_command("revoke_token", "--user", "alice", "--scoped")
    assert "alice has no scoped token that still works." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--user", "alice", "--name", "cj"], "alice has no token named 'cj' (their tokens: 'ci')"),
        (["--user", "nobody", "--name", "ci"], "No such user: nobody."),
        (["--user", "nobody", "--scoped"], "No such user: nobody."),
        (["--user", "alice"], "Say which tokens"),
        (["--name", "ci"], "Say which tokens"),
        (["--user", "alice", "--name", "ci", "--scoped"], "Say which tokens"),
        (["alice", "--user", "alice", "--name", "ci"], "not both"),
        ([], "Say which tokens"),
    ],
)
def test_unclear_or_unknown_names_are_refused_and_revoke_nothing(user, arguments, message):
    _, key = ScopedToken.issue(user, "ci")
    with pytest.raises(CommandError) as refused:
        call_command("revoke_token", *arguments)
    assert message in str(refused.value)
    assert "Nothing was revoked." in str(refused.value)
    assert scoped_client(key).get("/api/tasks").status_code == 200
    assert not AuditEvent.objects.exists()


def scoped_client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
