"""POST /hooks/<id>/: a valid call runs once per idempotency key; a bad token, a bad
signature, an unknown or revoked hook run nothing and answer JSON errors."""

import hashlib
import hmac
import json

import pytest
from rest_framework.test import APIClient

from tasks.models import AuditEvent, Hook, Status, Task, Trigger
from tasks.tests.helpers import wait_finished


@pytest.fixture
def hook(user):
    hook, token = Hook.create(
        name="deploy", script="echo", owner=user, params={"color": "red"}, body_params=["greeting"]
    )
    hook.token = token
    return hook


def post(hook, body=b"{}", token=None, **headers):
    client = APIClient()
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(
        f"/hooks/{hook.pk if hasattr(hook, 'pk') else hook}/",
        data=body,
        content_type="application/json",
        **headers,
    )


def github_signature(key, body):
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def test_a_valid_call_runs_the_script_as_the_hooks_owner(engine, hook, user):
    response = post(hook, json.dumps({"greeting": "from-ci", "count": 9}), token=hook.token)
    assert response.status_code == 202, response.content
    data = response.json()
    task = wait_finished(data["task_id"])
    assert data["success"] is True
    assert data["url"] == f"http://testserver/tasks/{task.pk}/"
    assert (task.status, task.trigger, task.user) == (Status.SUCCESS, Trigger.WEBHOOK, user)
    # Fixed parameters, plus the body's allowed ones; "count" is not allowed from the body.
    assert task.params == {"greeting": "from-ci", "color": "red"}
    assert "from-ci" in task.stdout_tail


def test_the_same_idempotency_key_twice_runs_once(db, hook):
    first = post(hook, token=hook.token, HTTP_IDEMPOTENCY_KEY="build-41")
    second = post(hook, token=hook.token, HTTP_IDEMPOTENCY_KEY="build-41")
    third = post(hook, token=hook.token, HTTP_IDEMPOTENCY_KEY="build-42")
    assert (first.status_code, second.status_code, third.status_code) == (202, 202, 202)
    assert first.json()["task_id"] == second.json()["task_id"] != third.json()["task_id"]
    assert second.json()["repeated"] is True
    assert Task.objects.count() == 2


def test_a_github_signed_delivery_runs_once_per_delivery_id(db, hook):
    body = json.dumps({"greeting": "pushed", "ref": "refs/heads/main"}).encode()
    signature = github_signature(hook.signing_key, body)
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature, "HTTP_X_GITHUB_DELIVERY": "d-1"}
    assert post(hook, body, **headers).status_code == 202
    assert post(hook, body, **headers).status_code == 202
    task = Task.objects.get()
    assert task.params["greeting"] == "pushed"


def test_a_wrong_signature_runs_nothing(db, hook):
    body = b'{"greeting": "x"}'
    response = post(hook, body, HTTP_X_HUB_SIGNATURE_256=github_signature("not-the-key", body))
    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "error": "The X-Hub-Signature-256 signature does not match the body.",
    }
    assert not Task.objects.exists()


def test_a_wrong_token_or_none_runs_nothing(db, hook):
    assert post(hook, token="guessed").status_code == 401
    response = post(hook)
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["error"]
    assert not Task.objects.exists()


def test_an_unknown_or_revoked_hook_is_not_found(db, hook):
    assert post("00000000-0000-0000-0000-000000000000", token=hook.token).status_code == 404
    assert post("not-a-uuid", token=hook.token).status_code == 404
    assert hook.revoke()
    response = post(hook, token=hook.token)
    assert response.status_code == 404
    assert response.json()["success"] is False
    assert not Task.objects.exists()


def test_a_body_the_catalog_refuses_runs_nothing(db, hook):
    response = post(hook, json.dumps({"greeting": "x" * 500}), token=hook.token)
    assert response.status_code == 400
    assert "greeting" in response.json()["error"]
    assert not Task.objects.exists()


def test_calls_are_rate_limited_per_hook(db, settings, hook):
    settings.EXECUTOR_HOOK_RATE = (2, 60)
    codes = [post(hook, token=hook.token).status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    assert Task.objects.count() == 2


def test_every_call_is_in_the_audit_trail(db, hook, user):
    post(hook, token=hook.token)
    post(hook, token="wrong")
    trail = list(AuditEvent.objects.filter(action="hook_call").order_by("at"))
    assert [event.actor for event in trail] == [user, None]
    assert trail[0].details == {"hook": str(hook.pk)}
    assert trail[1].details["refused"] == "The bearer token is not this hook's."


def test_only_a_hash_of_the_token_is_stored(db, hook):
    row = Hook.objects.get(pk=hook.pk)
    assert hook.token not in (row.token_hash, row.signing_key)
    assert row.token_matches(hook.token)
