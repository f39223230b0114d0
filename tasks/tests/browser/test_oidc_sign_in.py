"""Signing in with OpenID Connect in Chromium, against a real provider on loopback
(npm's oidc-provider, tasks/tests/oidc_provider): the authorization-code flow with PKCE,
groups that follow the provider at each sign-in, and answers that must be refused."""

import logging
import re
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from tasks.models import AuditAction, AuditEvent, ProviderIdentity
from tasks.tests import oidc_provider as provider_fixture
from tasks.tests.conftest import token_client
from tasks.web.oidc import discovery

BACKEND = "tasks.web.oidc.backend.OIDCBackend"


@pytest.fixture(scope="session")
def oidc_provider(live_server, tmp_path_factory):
    provider = provider_fixture.start(
        tmp_path_factory.mktemp("oidc"),
        f"{live_server.url}/accounts/oidc/callback/",
        f"{live_server.url}/accounts/login/",
    )
    yield provider
    provider_fixture.stop(provider)


@pytest.fixture
def oidc(settings, oidc_provider):
    settings.EXECUTOR_OIDC_ISSUER = oidc_provider.issuer
    settings.EXECUTOR_OIDC_NAME = "Test ID"
    settings.OIDC_RP_CLIENT_ID = provider_fixture.CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = provider_fixture.CLIENT_SECRET
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, BACKEND]
    settings.EXECUTOR_SSO_GROUP_MAP = {}
    settings.EXECUTOR_SSO_STAFF_GROUPS = ["admins"]
    settings.EXECUTOR_SSO_SUPERUSER_GROUPS = []
    discovery.forget()
    oidc_provider.clear_twist()
    oidc_provider.set_accounts(
        {"dora": {"email": "dora@example.test", "given_name": "Dora", "groups": ["club", "admins"]}}
    )
    yield oidc_provider
    oidc_provider.clear_twist()
    discovery.forget()


def sign_in_at_provider(page, live_server, login="dora", path="/history/"):
    page.goto(f"{live_server.url}{path}")
    page.get_by_role("link", name="Sign in with Test ID").click()
    # oidc-provider's own login page (any password passes there).
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any")
    page.get_by_role("button", name="Sign-in").click()


def signed_in_user(page, live_server):
    from django.contrib.sessions.backends.db import SessionStore

    cookies = {c["name"]: c["value"] for c in page.context.cookies(live_server.url)}
    if "sessionid" not in cookies:
        return None
    return SessionStore(cookies["sessionid"]).get("_auth_user_id")


def test_a_user_signs_in_with_the_provider_and_gets_its_groups(page, live_server, oidc, settings):
    # Signing out here leaves the provider's session (the next test signs out there too).
    settings.EXECUTOR_OIDC_PROVIDER_SIGN_OUT = False
    sign_in_at_provider(page, live_server)
    expect(page).to_have_url(f"{live_server.url}/history/")
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    dora = User.objects.get(username="dora")
    assert str(dora.pk) == signed_in_user(page, live_server)
    assert dora.email == "dora@example.test"
    assert dora.first_name == "Dora"
    assert not dora.has_usable_password()
    assert set(dora.groups.values_list("name", flat=True)) == {"club", "admins"}
    assert dora.is_staff
    assert not dora.is_superuser
    # A token of hers runs the club's script while she is in the club.
    api = token_client(dora)
    assert (
        api.post("/api/execute", {"script_type": "secret_club"}, format="json").status_code == 201
    )

    # The provider takes her out of the club and the admins; at her next sign-in she
    # loses both, and her token follows.
    oidc.set_accounts({"dora": {"email": "dora@example.test", "groups": ["other"]}})
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_role("link", name="Sign in with Test ID").click()
    # The provider still knows her browser: back at once, without its login page.
    expect(page).to_have_url(f"{live_server.url}/")
    dora.refresh_from_db()
    assert set(dora.groups.values_list("name", flat=True)) == {"other"}
    assert not dora.is_staff
    denied = token_client(dora).post("/api/execute", {"script_type": "secret_club"}, format="json")
    assert denied.status_code == 400, denied.json()
    assert "secret_club" in denied.json()["error"]


def test_signing_out_ends_the_providers_session_too(page, live_server, oidc):
    sign_in_at_provider(page, live_server)
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    # oidc-provider's own page asks to confirm (as Keycloak's does without a hint).
    expect(page).to_have_url(re.compile(rf"^{re.escape(oidc.issuer)}/"))
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    assert signed_in_user(page, live_server) is None
    # The provider forgot the browser: it asks who it is again.
    page.get_by_role("link", name="Sign in with Test ID").click()
    expect(page.locator("input[name=login]")).to_be_visible()
    dora = User.objects.get(username="dora")
    out = AuditEvent.objects.filter(action=AuditAction.SIGN_OUT, actor=dora).get()
    assert out.details["source"] == "oidc"
    assert out.details["at_provider"] is True


def test_a_provider_user_named_like_a_local_account_gets_an_account_of_its_own(
    page, live_server, oidc
):
    # A provider where anyone may choose their preferred_username: "admin" is taken here.
    admin = User.objects.create_superuser("admin", "admin@local.test", "local-pw")
    admin.groups.add(Group.objects.create(name="ops"))
    oidc.set_accounts({"admin": {"email": "mallory@example.test", "groups": ["admins"]}})
    sign_in_at_provider(page, live_server, login="admin")
    expect(page.get_by_role("heading", name="History")).to_be_visible()

    host = urlsplit(oidc.issuer).hostname
    theirs = User.objects.get(username=f"admin@{host}")
    assert str(theirs.pk) == signed_in_user(page, live_server)
    assert not theirs.is_superuser
    identity = ProviderIdentity.objects.get(user=theirs)
    assert (identity.provider, identity.subject) == (f"oidc:{oidc.issuer}", "admin")
    admin.refresh_from_db()
    assert admin.check_password("local-pw")
    assert (admin.email, admin.is_superuser) == ("admin@local.test", True)
    assert set(admin.groups.values_list("name", flat=True)) == {"ops"}
    assert not admin.provider_identities.exists()
    signed_in = AuditEvent.objects.get(action=AuditAction.SIGN_IN)
    assert (signed_in.actor, signed_in.details["source"]) == (theirs, "oidc")
    assert signed_in.details["ip"] == "127.0.0.1"


def test_the_next_sign_in_finds_the_account_by_sub_when_the_name_changed(
    page, live_server, oidc, settings
):
    settings.EXECUTOR_OIDC_PROVIDER_SIGN_OUT = False  # straight back in, no login page
    sign_in_at_provider(page, live_server)
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    dora = User.objects.get(username="dora")
    # Same sub ("dora" is the provider's account id), another preferred_username; and a
    # local account already has that name.
    User.objects.create_user("dora.explorer", password="local-pw")
    oidc.set_accounts({"dora": {"preferred_username": "dora.explorer", "groups": []}})
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in with Test ID").click()
    expect(page).to_have_url(f"{live_server.url}/")
    assert signed_in_user(page, live_server) == str(dora.pk)
    assert User.objects.filter(username__startswith="dora").count() == 2
    assert User.objects.get(username="dora.explorer").check_password("local-pw")


def test_a_deactivated_account_is_refused_and_audited_by_its_name(page, live_server, oidc):
    dora = User.objects.create_user("dora", is_active=False)
    ProviderIdentity.objects.create(user=dora, provider=f"oidc:{oidc.issuer}", subject="dora")
    sign_in_at_provider(page, live_server)
    expect(page.locator(".messages")).to_contain_text("This account cannot sign in here")
    assert signed_in_user(page, live_server) is None
    refused = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert (refused.actor_name, refused.details["reason"]) == (
        "dora",
        "the backend gave no active user",
    )


@pytest.mark.parametrize("local_login", [True, False], ids=["with-passwords", "provider-only"])
def test_the_sign_in_page_offers_the_provider_and_passes_axe_on_a_phone(
    page, live_server, oidc, axe, settings, local_login
):
    settings.EXECUTOR_LOCAL_LOGIN = local_login
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("link", name="Sign in with Test ID")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(1 if local_login else 0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    axe(page)


def forge_state(route):
    """The site's redirect to the provider, with another state than the one it keeps in
    the session: the provider hands that state back to the callback. (Playwright calls a
    route only for the first request of a redirect chain, so the callback itself, reached
    through the provider's redirects, cannot be rewritten.)"""
    response = route.fetch(max_redirects=0)
    parts = urlsplit(response.headers["location"])
    query = dict(parse_qsl(parts.query))
    query["state"] = "forged-" + query["state"][:8]
    location = urlunsplit(parts._replace(query=urlencode(query)))
    route.fulfill(response=response, headers={**response.headers, "location": location})


def test_a_forged_state_is_refused(page, live_server, oidc, caplog):
    page.route("**/accounts/oidc/authenticate/**", forge_state)
    with caplog.at_level(logging.WARNING, logger="tasks.web.oidc"):
        sign_in_at_provider(page, live_server)
        expect(page.locator(".messages")).to_contain_text(
            "does not belong to a sign-in started in this browser"
        )
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert signed_in_user(page, live_server) is None
    assert not User.objects.filter(username="dora").exists()
    assert any("unknown state 'forged-" in record.getMessage() for record in caplog.records)
    refused = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert refused.details["source"] == "oidc"
    assert refused.details["reason"].startswith("unknown state 'forged-")


@pytest.mark.parametrize(
    ("claims", "message", "logged"),
    [
        ({"iss": "http://127.0.0.1:9/evil"}, "not issued by the configured provider", "issuer"),
        ({"aud": "someone-else"}, "issued for another application", "audience"),
        ({"nonce": "forged-nonce"}, "does not belong to the sign-in started", "nonce"),
        (
            {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
            "answer has expired",
            "expired",
        ),
    ],
    ids=["wrong-issuer", "wrong-audience", "forged-nonce", "expired"],
)
def test_a_bad_id_token_is_refused(page, live_server, oidc, caplog, claims, message, logged):
    oidc.twist_next_token(**claims)
    with caplog.at_level(logging.WARNING, logger="tasks.web.oidc"):
        sign_in_at_provider(page, live_server)
        expect(page.locator(".messages")).to_contain_text(message)
    assert signed_in_user(page, live_server) is None
    assert not User.objects.filter(username="dora").exists()
    refusals = [r.getMessage() for r in caplog.records if "sign-in refused" in r.getMessage()]
    assert refusals
    assert logged in refusals[-1].lower()
    refused = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert (refused.actor, refused.details["source"]) == (None, "oidc")
    assert logged in refused.details["reason"].lower()
