"""OpenID Connect sign-in where no provider answers properly: not configured, unreachable,
a discovery document for another issuer, callbacks that no sign-in started; and the
sign-in page with local accounts turned off. (The flow against a real provider is in
tasks/tests/browser/test_oidc_sign_in.py.)"""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.checks import run_checks

from tasks.web.oidc import discovery

BACKEND = "tasks.web.oidc.backend.OIDCBackend"


@pytest.fixture
def oidc(settings):
    def configure(issuer):
        settings.EXECUTOR_OIDC_ISSUER = issuer
        settings.EXECUTOR_OIDC_NAME = "Example ID"
        settings.EXECUTOR_OIDC_TIMEOUT = 5
        settings.OIDC_RP_CLIENT_ID = "executor"
        settings.OIDC_RP_CLIENT_SECRET = "secret"
        settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, BACKEND]
        discovery.forget()

    yield configure
    discovery.forget()


@pytest.fixture
def document_server():
    """A loopback server answering the discovery path with `server.document`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(server.document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.document = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def discovery_document(url, **more):
    """A provider's discovery document with its endpoints under `url`, and `more`."""
    return {
        "issuer": url,
        "authorization_endpoint": f"{url}/auth",
        "token_endpoint": f"{url}/token",
        "userinfo_endpoint": f"{url}/me",
        "jwks_uri": f"{url}/jwks",
        **more,
    }


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


@pytest.mark.django_db
def test_without_an_issuer_there_is_no_button_and_no_flow(client):
    page = client.get("/accounts/login/")
    assert b"Sign in with" not in page.content
    assert client.get("/accounts/oidc/authenticate/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=x&state=y").status_code == 404


@pytest.mark.django_db
def test_the_button_names_the_provider_and_keeps_next(client, oidc):
    oidc("http://127.0.0.1:9")
    page = client.get("/accounts/login/?next=/history/")
    assert b"Sign in with Example ID" in page.content
    assert b"/accounts/oidc/authenticate/?next=/history/" in page.content


@pytest.mark.django_db
def test_an_unreachable_provider_is_a_message_on_the_sign_in_page(client, oidc, caplog):
    oidc("http://127.0.0.1:9")  # the discard port: nothing listens
    with caplog.at_level(logging.WARNING, logger="tasks.web.oidc"):
        response = client.get("/accounts/oidc/authenticate/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert messages_of(response) == ["The sign-in provider cannot be reached. Try again later."]
    assert "discovery document http://127.0.0.1:9/.well-known/openid-configuration" in caplog.text


@pytest.mark.django_db
def test_a_discovery_document_for_another_issuer_is_refused(client, oidc, document_server, caplog):
    oidc(document_server.url)
    document_server.document = {
        "issuer": "https://evil.example",
        "authorization_endpoint": "https://evil.example/auth",
        "token_endpoint": "https://evil.example/token",
        "userinfo_endpoint": "https://evil.example/me",
        "jwks_uri": "https://evil.example/jwks",
    }
    with caplog.at_level(logging.WARNING, logger="tasks.web.oidc"):
        response = client.get("/accounts/oidc/authenticate/", follow=True)
    assert messages_of(response) == [
        "The sign-in provider is not set up correctly here. Tell an administrator."
    ]
    assert "names issuer 'https://evil.example'" in caplog.text


@pytest.mark.django_db
def test_the_flow_starts_with_pkce_state_and_nonce(client, oidc, document_server):
    oidc(document_server.url)
    document_server.document = discovery_document(document_server.url)
    response = client.get("/accounts/oidc/authenticate/?next=/history/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{document_server.url}/auth?")
    for part in (
        "code_challenge_method=S256",
        "code_challenge=",
        "nonce=",
        "state=",
        "client_id=executor",
    ):
        assert part in location
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Faccounts%2Foidc%2Fcallback%2F" in location


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?code=abc&state=never-issued", "does not belong to a sign-in started in this browser"),
        ("?state=abc", "answer is incomplete"),
        (
            "?error=access_denied&error_description=End-User+aborted&state=s",
            "The sign-in provider refused the sign-in: End-User aborted.",
        ),
    ],
)
def test_a_callback_no_sign_in_started_is_refused(client, oidc, query, message, caplog):
    oidc("http://127.0.0.1:9")
    with caplog.at_level(logging.WARNING, logger="tasks.web.oidc"):
        response = client.get(f"/accounts/oidc/callback/{query}", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert any(message in text for text in messages_of(response))
    assert "_auth_user_id" not in client.session
    assert "OpenID Connect sign-in refused" in caplog.text


@pytest.mark.django_db
def test_a_refusal_logs_the_client_behind_the_proxy(client, oidc, settings, caplog):
    """Behind DJANGO_NUM_PROXIES proxies the log names the client the proxy saw, as the
    audit row and the limit on failed sign-ins do, not the proxy's own address."""
    oidc("http://127.0.0.1:9")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    with caplog.at_level(logging.WARNING, logger="tasks.web.oidc"):
        client.get(
            "/accounts/oidc/callback/?code=abc&state=never-issued",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    assert "(client 203.0.113.7)" in caplog.text


@pytest.mark.django_db
def test_a_forged_callback_does_not_sign_out_whoever_follows_it(client, oidc, user):
    oidc("http://127.0.0.1:9")
    client.force_login(user)
    client.get("/accounts/oidc/callback/?code=abc&state=never-issued")
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_passwords_still_work_beside_the_provider(client, oidc, user):
    oidc("http://127.0.0.1:9")
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "alice-password-1"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"


@pytest.mark.django_db
def test_with_local_accounts_off_the_form_is_gone_and_a_post_refused(client, oidc, settings, user):
    oidc("http://127.0.0.1:9")
    settings.EXECUTOR_LOCAL_LOGIN = False
    settings.AUTHENTICATION_BACKENDS = [BACKEND]
    page = client.get("/accounts/login/")
    assert b'name="password"' not in page.content
    assert b"Sign in with Example ID" in page.content
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "alice-password-1"}
    )
    assert response.status_code == 403
    assert b"user name and password is turned off" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_site_nobody_can_sign_in_to_fails_its_check(settings):
    settings.AUTHENTICATION_BACKENDS = []
    assert "executor.E040" in [message.id for message in run_checks()]
