"""executor_site/sign_in.py: the sign-in settings as a deployment sets them, in a fresh
process (settings are read once, at start)."""

import json

from tasks.tests.test_production_settings import production, run

SHOW = """
import json, django
from django.conf import settings as s
django.setup()
print(json.dumps({
    "BACKENDS": s.AUTHENTICATION_BACKENDS,
    "MAP": s.EXECUTOR_SSO_GROUP_MAP,
    "STAFF": s.EXECUTOR_SSO_STAFF_GROUPS,
    "CLIENT": s.OIDC_RP_CLIENT_ID,
    "PKCE": s.OIDC_USE_PKCE,
    "PROVIDER_SIGN_OUT": s.EXECUTOR_OIDC_PROVIDER_SIGN_OUT,
    "STORE_ID_TOKEN": s.OIDC_STORE_ID_TOKEN,
    "LOGOUT_URL_METHOD": s.OIDC_OP_LOGOUT_URL_METHOD,
}))
"""


def shown(**env):
    result = run(["-c", SHOW], production(**env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_by_default_only_local_accounts_sign_in():
    assert shown()["BACKENDS"] == ["django.contrib.auth.backends.ModelBackend"]


def test_an_issuer_adds_the_provider_and_local_login_can_be_turned_off():
    values = shown(
        EXECUTOR_OIDC_ISSUER="https://id.example.com",
        EXECUTOR_OIDC_CLIENT_ID="executor",
        EXECUTOR_LOCAL_LOGIN="0",
        EXECUTOR_SSO_GROUP_MAP="CN=ops,OU=groups,DC=example=operators; /eng=engineers;/eng=club",
        EXECUTOR_SSO_STAFF_GROUPS="CN=admins,DC=example; root",
    )
    assert values["BACKENDS"] == ["tasks.web.oidc.backend.OIDCBackend"]
    assert values["CLIENT"] == "executor"
    assert values["PKCE"] is True
    assert values["MAP"] == {
        "CN=ops,OU=groups,DC=example": ["operators"],
        "/eng": ["engineers", "club"],
    }
    assert values["STAFF"] == ["CN=admins,DC=example", "root"]


def test_signing_out_at_the_provider_is_on_unless_turned_off():
    values = shown()
    assert (values["PROVIDER_SIGN_OUT"], values["STORE_ID_TOKEN"]) == (True, True)
    assert values["LOGOUT_URL_METHOD"] == "tasks.web.oidc.logout.provider_logout_url"
    values = shown(EXECUTOR_OIDC_PROVIDER_SIGN_OUT="0")
    assert (values["PROVIDER_SIGN_OUT"], values["STORE_ID_TOKEN"]) == (False, False)


def test_an_issuer_without_a_client_id_stops_the_server():
    result = run(["manage.py", "check"], production(EXECUTOR_OIDC_ISSUER="https://id.example.com"))
    assert result.returncode != 0
    assert "EXECUTOR_OIDC_CLIENT_ID is not" in result.stderr


def test_a_bad_group_map_stops_the_server_with_an_example():
    result = run(["manage.py", "check"], production(EXECUTOR_SSO_GROUP_MAP="ops"))
    assert result.returncode != 0
    assert "EXECUTOR_SSO_GROUP_MAP must be pairs such as" in result.stderr
