"""Scoped tokens: several named ones per user, stored hashed, with expiry and scope;
refused ones get a clear 401/403 and nothing is run; the legacy DRF token still works."""

import hashlib
import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tasks.models import ScopedToken, Task
from tasks.tests.factories import make_task


def client_for(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def execute(client, script="echo"):
    return client.post("/api/execute", {"script_type": script}, format="json")


@pytest.mark.django_db
def test_several_named_tokens_each_work_and_only_a_digest_is_stored(user):
    first, first_key = ScopedToken.issue(user, "ci")
    second, second_key = ScopedToken.issue(user, "laptop")
    assert first_key != second_key
    for token, key in ((first, first_key), (second, second_key)):
        assert key not in str(ScopedToken.objects.filter(pk=token.pk).values().get())
        assert token.digest == hashlib.sha256(key.encode()).hexdigest()
        assert client_for(key).get("/api/tasks").status_code == 200
    first.refresh_from_db()
    assert first.last_used_at is not None


@pytest.mark.django_db
def test_the_legacy_drf_token_keeps_working(api):
    assert api.get("/api/tasks").status_code == 200
    assert execute(api).status_code == 201


@pytest.mark.django_db
def test_a_revoked_token_is_refused_and_runs_nothing(user, caplog):
    token, key = ScopedToken.issue(user, "ci")
    assert token.revoke() is True
    assert token.revoke() is False  # guarded: once
    with caplog.at_level(logging.WARNING, logger="tasks.api.authentication"):
        response = execute(client_for(key))
    assert response.status_code == 401
    assert response.json() == {"success": False, "error": "This token ('ci') was revoked."}
    assert "refused token" in caplog.text
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_an_expired_token_is_refused_saying_when_it_expired(user):
    expired = timezone.now() - timedelta(minutes=1)
    _, key = ScopedToken.issue(user, "old", expires_at=expired)
    response = execute(client_for(key))
    assert response.status_code == 401
    assert response.json()["error"].startswith("This token ('old') expired on ")
    assert not Task.objects.exists()
    _, fresh = ScopedToken.issue(user, "new", expires_at=timezone.now() + timedelta(days=1))
    assert execute(client_for(fresh)).status_code == 201


@pytest.mark.django_db
def test_an_unknown_scoped_key_is_an_invalid_token(db):
    response = client_for("exk_not-a-real-key").get("/api/tasks")
    assert response.status_code == 401
    assert response.json()["error"] == "Invalid token."


@pytest.mark.django_db
def test_a_read_only_token_reads_and_follows_but_starts_and_cancels_nothing(client, user):
    _, key = ScopedToken.issue(user, "watch", read_only=True)
    reader = client_for(key)
    task = make_task(user, log=[("out", b"hi\n")])
    assert reader.get(f"/api/tasks/{task.pk}").status_code == 200
    follow = client.get(f"/tasks/{task.pk}/poll/", HTTP_AUTHORIZATION=f"Token {key}")
    assert follow.status_code == 200
    response = execute(reader)
    assert response.status_code == 403
    assert response.json()["error"] == "This token ('watch') is read-only: it may not POST."
    assert reader.post(f"/api/tasks/{task.pk}/rerun").status_code == 403
    assert Task.objects.count() == 1


@pytest.mark.django_db
def test_a_token_scoped_to_scripts_runs_only_those(user):
    _, key = ScopedToken.issue(user, "deploy", scripts=["echo", "lines"])
    scoped = client_for(key)
    assert execute(scoped, "echo").status_code == 201
    response = execute(scoped, "sleeper")
    assert response.status_code == 403
    assert response.json()["error"] == (
        "This token ('deploy') may act only on the scripts echo, lines, not 'sleeper'."
    )
    other = make_task(user, script="sleeper")
    assert scoped.post(f"/api/tasks/{other.pk}/rerun").status_code == 403
    assert Task.objects.filter(script="sleeper").count() == 1


@pytest.mark.django_db
def test_a_token_of_a_deactivated_user_is_refused(user):
    _, key = ScopedToken.issue(user, "ci")
    user.is_active = False
    user.save()
    assert client_for(key).get("/api/tasks").status_code == 401


def warnings_of(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "named"),
    [
        ("revoked", "'ci' (exk_"),
        ("expired", "'ci' (exk_"),
        ("inactive user", "'ci' (exk_"),
        ("unknown", "exk_"),
        ("read-only", "'ci' (exk_"),
    ],
)
def test_every_refused_scoped_token_is_logged_by_name_and_prefix_never_by_key(
    user, caplog, kind, named
):
    token, key = ScopedToken.issue(
        user,
        "ci",
        read_only=kind == "read-only",
        expires_at=timezone.now() - timedelta(days=1) if kind == "expired" else None,
    )
    if kind == "revoked":
        token.revoke()
    if kind == "inactive user":
        user.is_active = False
        user.save()
    sent = key[:-3] + "zzz" if kind == "unknown" else key
    with caplog.at_level(logging.WARNING):
        response = execute(client_for(sent))
    assert response.status_code in (401, 403)
    (logged,) = warnings_of(caplog)
    assert named in logged
    if kind != "unknown":
        assert token.prefix in logged
        assert "of alice" in logged
    assert key not in logged
    assert sent not in logged
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_a_refused_legacy_key_is_logged_with_a_few_characters_and_its_user(api, user, caplog):
    legacy = Token.objects.get(user=user)
    with caplog.at_level(logging.WARNING):
        assert client_for("f" * 40).get("/api/tasks").status_code == 401
    (unknown,) = warnings_of(caplog)
    assert "legacy token (ffff…)" in unknown
    assert "f" * 5 not in unknown
    caplog.clear()
    user.is_active = False
    user.save()
    with caplog.at_level(logging.WARNING):
        assert api.get("/api/tasks").status_code == 401
    (inactive,) = warnings_of(caplog)
    assert "of alice" in inactive
    assert legacy.key not in inactive
