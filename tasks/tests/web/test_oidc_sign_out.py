"""Where "Sign out" sends a session signed in through the OpenID provider: to the
provider's end-session endpoint when its discovery document has one and the setting is
on, else to the sign-in page; and the pages of such a session let the sign-out form go
there. (The real provider forgetting the browser is tested in Chromium:
tasks/tests/browser/test_oidc_sign_in.py.)"""

from urllib.parse import parse_qs, urlsplit

import pytest

from tasks.models import AuditAction, AuditEvent
from tasks.tests.web import test_oidc
from tasks.web.oidc import discovery

pytestmark = pytest.mark.django_db

oidc = test_oidc.oidc
document_server = test_oidc.document_server
BACKEND = test_oidc.BACKEND


@pytest.fixture
def provider(oidc, document_server):
    oidc(document_server.url)
    document_server.document = test_oidc.discovery_document(
        document_server.url, end_session_endpoint=f"{document_server.url}/session/end"
    )
    return document_server


def signed_in_through_the_provider(client, user):
    client.force_login(user, backend=BACKEND)
    session = client.session
    session["oidc_id_token"] = "the-id-token"
    session.save()


@pytest.mark.parametrize("path", ["/accounts/logout/", "/admin/logout/"], ids=["site", "admin"])
def test_signing_out_goes_to_the_providers_end_session_endpoint(client, provider, user, path):
    signed_in_through_the_provider(client, user)
    response = client.post(path)
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{provider.url}/session/end"
    )
    assert parse_qs(location.query) == {
        "client_id": ["executor"],
        "post_logout_redirect_uri": ["http://testserver/accounts/login/"],
        "id_token_hint": ["the-id-token"],
    }
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action=AuditAction.SIGN_OUT)
    assert (event.actor, event.details["source"], event.details["at_provider"]) == (
        user,
        "oidc",
        True,
    )


@pytest.mark.parametrize(
    "case", ["setting-off", "no-endpoint", "password-session"], ids=lambda case: case
)
def test_otherwise_signing_out_ends_only_this_sites_session(client, provider, user, settings, case):
    if case == "setting-off":
        settings.EXECUTOR_OIDC_PROVIDER_SIGN_OUT = False
    elif case == "no-endpoint":
        del provider.document["end_session_endpoint"]
        discovery.forget()
    if case == "password-session":
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    else:
        signed_in_through_the_provider(client, user)
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_an_unreachable_provider_does_not_keep_anyone_signed_in(client, oidc, user, caplog):
    oidc("http://127.0.0.1:9")
    signed_in_through_the_provider(client, user)
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert "sign-out at the provider skipped" in caplog.text


def form_action(response):
    policy = response["Content-Security-Policy"]
    return next(part for part in policy.split("; ") if part.startswith("form-action"))


def test_the_pages_of_a_provider_session_let_the_sign_out_form_reach_the_provider(
    client, provider, user
):
    discovery.metadata()  # kept since the sign-in, as after a real one
    signed_in_through_the_provider(client, user)
    assert form_action(client.get("/")) == f"form-action 'self' {provider.url}"
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert form_action(client.get("/")) == "form-action 'self'"
