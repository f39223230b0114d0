"""The live stream and the polling fallback serve API clients: a token signs them in,
and a client that is not signed in gets 401 JSON, not the HTML sign-in page."""

import json
import subprocess

import pytest
from rest_framework.authtoken.models import Token

from tasks.tests.factories import log_text, make_task, parse_sse
from tasks.tests.servers import uvicorn_server

LOG = [("out", b"one\n"), ("err", b"two\n")]


def token_header(user):
    token, _ = Token.objects.get_or_create(user=user)
    return f"Token {token.key}"


@pytest.mark.django_db
def test_a_token_follows_a_run_on_the_event_stream(client, user):
    task = make_task(user, log=LOG)
    response = client.get(
        f"/tasks/{task.pk}/events/",
        HTTP_AUTHORIZATION=token_header(user),
        HTTP_ACCEPT="text/event-stream",
    )
    assert response.status_code == 200
    events = parse_sse(b"".join(response.streaming_content))
    assert [name for name, _, _ in events] == ["log", "state", "end"]
    assert log_text(events) == "one\ntwo\n"


@pytest.mark.django_db
def test_a_token_polls_a_run(client, user):
    task = make_task(user, log=LOG)
    response = client.get(f"/tasks/{task.pk}/poll/", HTTP_AUTHORIZATION=token_header(user))
    assert response.status_code == 200
    assert response.json()["parts"] == [["out", "one\n"], ["err", "two\n"]]
    assert response.json()["end"] is True


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["events", "poll"])
@pytest.mark.parametrize("accept", ["text/event-stream", "application/json"])
def test_a_client_not_signed_in_gets_401_json(client, user, endpoint, accept):
    task = make_task(user, log=LOG)
    response = client.get(f"/tasks/{task.pk}/{endpoint}/", HTTP_ACCEPT=accept)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "success": False,
        "error": "Authentication required: sign in, or send the header "
        "'Authorization: Token <key>'.",
    }


@pytest.mark.django_db
def test_a_wrong_token_gets_401_json_saying_so(client, user):
    task = make_task(user, log=LOG)
    response = client.get(f"/tasks/{task.pk}/events/", HTTP_AUTHORIZATION="Token not-a-key")
    assert response.status_code == 401
    assert response.json() == {"success": False, "error": "Invalid token."}


@pytest.mark.django_db
def test_a_browser_not_signed_in_is_still_sent_to_the_sign_in_page(client, user):
    task = make_task(user, log=LOG)
    response = client.get(f"/tasks/{task.pk}/events/", HTTP_ACCEPT="text/html")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_a_token_sees_only_its_users_runs(client, user, other_user):
    task = make_task(other_user, log=LOG)
    response = client.get(f"/tasks/{task.pk}/poll/", HTTP_AUTHORIZATION=token_header(user))
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_readme_curl_example_follows_a_run_under_uvicorn(user):
    """The README's copy-paste example, run with the real curl against a real server."""
    task = make_task(user, log=LOG)
    with uvicorn_server() as base_url:
        followed = subprocess.run(
            [
                "curl", "-sN", "-H", f"Authorization: {token_header(user)}",
                "-H", "Accept: text/event-stream", f"{base_url}/tasks/{task.pk}/events/",
            ],
            capture_output=True, timeout=60, check=True,
        )  # fmt: skip
        refused = subprocess.run(
            ["curl", "-s", "-w", "%{http_code}", f"{base_url}/tasks/{task.pk}/poll/",
             "-H", "Accept: application/json"],
            capture_output=True, timeout=60, check=True, text=True,
        )  # fmt: skip
    assert log_text(parse_sse(followed.stdout)) == "one\ntwo\n"
    assert refused.stdout.endswith("401")
    assert json.loads(refused.stdout[:-3])["success"] is False
