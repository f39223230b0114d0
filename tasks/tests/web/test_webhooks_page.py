"""A user makes an inbound webhook for a script they may run (its token shown once, and
it works), and revokes it; refusals say why and make nothing."""

import re

import pytest
from rest_framework.test import APIClient

from tasks.models import Hook, Task


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_a_user_makes_a_hook_and_calls_it_with_the_token_shown_once(signed_in, user):
    response = signed_in.post(
        "/webhooks/",
        {"name": "ci", "script": "echo", "params": '{"color": "green"}', "body_params": "greeting"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    token = re.search(r"<code data-token>([^<]+)</code>", page)[1]
    hook = Hook.objects.get()
    assert (hook.owner, hook.params, hook.body_params) == (user, {"color": "green"}, ["greeting"])
    assert token not in signed_in.get("/webhooks/").content.decode()
    call = APIClient().post(
        f"/hooks/{hook.pk}/",
        {"greeting": "hi"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert call.status_code == 202
    assert Task.objects.get().params == {"greeting": "hi", "color": "green"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x", "script": "secret_club"}, "no script"),
        ({"name": "", "script": "echo"}, "Give the hook a name"),
        ({"name": "x", "script": "echo", "params": "{nope"}, "not JSON"),
        ({"name": "x", "script": "echo", "body_params": "volume"}, "volume: not parameters"),
        ({"name": "x", "script": "secret_echo", "params": '{"token": "t"}'}, "Secret parameters"),
    ],
)
def test_refusals_say_why(signed_in, data, message):
    response = signed_in.post("/webhooks/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Hook.objects.exists()


def test_the_owner_revokes_a_hook_and_nobody_else_can(signed_in, user, other_user):
    mine, _ = Hook.create(name="mine", script="echo", owner=user)
    theirs, _ = Hook.create(name="theirs", script="echo", owner=other_user)
    signed_in.post(f"/webhooks/{mine.pk}/revoke/")
    signed_in.post(f"/webhooks/{theirs.pk}/revoke/")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None
    assert theirs.revoked_at is None
