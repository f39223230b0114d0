"""Sign-in settings (issue 15): local accounts, OpenID Connect, the providers' groups.

Star-imported by settings.py (after it has read the .env file), so that each provider's
variables sit together here; every one is in the README's "Sign-in providers" section.
"""

from django.core.exceptions import ImproperlyConfigured

from executor_site.env import env_bool, env_float, env_name_map, env_names, env_str

__all__ = [
    "AUTHENTICATION_BACKENDS",
    "EXECUTOR_LOCAL_LOGIN",
    "EXECUTOR_OIDC_DISCOVERY_TTL",
    "EXECUTOR_OIDC_GROUPS_CLAIM",
    "EXECUTOR_OIDC_ISSUER",
    "EXECUTOR_OIDC_NAME",
    "EXECUTOR_OIDC_PROVIDER_SIGN_OUT",
    "EXECUTOR_OIDC_TIMEOUT",
    "EXECUTOR_OIDC_USERNAME_CLAIM",
    "EXECUTOR_SSO_ADOPT_UNLINKED",
    "EXECUTOR_SSO_GROUP_MAP",
    "EXECUTOR_SSO_STAFF_GROUPS",
    "EXECUTOR_SSO_SUPERUSER_GROUPS",
    "OIDC_OP_LOGOUT_URL_METHOD",
    "OIDC_RP_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET",
    "OIDC_RP_SCOPES",
    "OIDC_RP_SIGN_ALGO",
    "OIDC_STORE_ID_TOKEN",
    "OIDC_TIMEOUT",
    "OIDC_USE_PKCE",
]

# Local accounts (user name and password); the providers below add their backends.
# EXECUTOR_LOCAL_LOGIN=0 leaves the providers only (API tokens keep working).
EXECUTOR_LOCAL_LOGIN = env_bool("EXECUTOR_LOCAL_LOGIN", True)
AUTHENTICATION_BACKENDS = (
    ["django.contrib.auth.backends.ModelBackend"] if EXECUTOR_LOCAL_LOGIN else []
)

# Upgrading a site whose provider users signed in before accounts were linked to their
# provider id (tasks/services/identities.py): while this is on, a provider user seen for
# the first time takes the account of their name if that account has no password and no
# link to any provider (one a provider made), instead of getting `name@host`.
EXECUTOR_SSO_ADOPT_UNLINKED = env_bool("EXECUTOR_SSO_ADOPT_UNLINKED", False)

# OpenID Connect.
# Off unless an issuer is set; its endpoints come from its discovery document, read when
# first needed (tasks/web/oidc/discovery.py). Register <site>/accounts/oidc/callback/ as
# the client's redirect URL at the provider.
EXECUTOR_OIDC_ISSUER = env_str("EXECUTOR_OIDC_ISSUER", "")
EXECUTOR_OIDC_NAME = env_str("EXECUTOR_OIDC_NAME", "single sign-on")
EXECUTOR_OIDC_USERNAME_CLAIM = env_str("EXECUTOR_OIDC_USERNAME_CLAIM", "preferred_username")
EXECUTOR_OIDC_GROUPS_CLAIM = env_str("EXECUTOR_OIDC_GROUPS_CLAIM", "groups")
EXECUTOR_OIDC_TIMEOUT = env_float("EXECUTOR_OIDC_TIMEOUT", 10, minimum=0.1)
EXECUTOR_OIDC_DISCOVERY_TTL = env_float("EXECUTOR_OIDC_DISCOVERY_TTL", 3600, minimum=0)
OIDC_RP_CLIENT_ID = env_str("EXECUTOR_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_str("EXECUTOR_OIDC_CLIENT_SECRET", "")
OIDC_RP_SCOPES = env_str("EXECUTOR_OIDC_SCOPES", "openid email profile groups")
OIDC_RP_SIGN_ALGO = env_str("EXECUTOR_OIDC_SIGN_ALGO", "RS256")
OIDC_USE_PKCE = True
# Signing out here signs out of the provider too, when its discovery document names an
# end_session_endpoint (tasks/web/oidc/logout.py); the ID token is kept in the session
# as the hint that endpoint asks for.
EXECUTOR_OIDC_PROVIDER_SIGN_OUT = env_bool("EXECUTOR_OIDC_PROVIDER_SIGN_OUT", True)
OIDC_STORE_ID_TOKEN = EXECUTOR_OIDC_PROVIDER_SIGN_OUT
OIDC_OP_LOGOUT_URL_METHOD = "tasks.web.oidc.logout.provider_logout_url"
OIDC_TIMEOUT = EXECUTOR_OIDC_TIMEOUT
if EXECUTOR_OIDC_ISSUER:
    if not OIDC_RP_CLIENT_ID:
        raise ImproperlyConfigured(
            "EXECUTOR_OIDC_ISSUER is set but EXECUTOR_OIDC_CLIENT_ID is not: register this "
            "site at the provider and set its client id (and EXECUTOR_OIDC_CLIENT_SECRET)."
        )
    AUTHENTICATION_BACKENDS.append("tasks.web.oidc.backend.OIDCBackend")

# Sign-in providers' groups (OpenID Connect, LDAP) -> Django groups and staff/superuser,
# set at each sign-in (tasks/access/provider_groups.py). Entries are separated by ';'.
EXECUTOR_SSO_GROUP_MAP = env_name_map("EXECUTOR_SSO_GROUP_MAP")
EXECUTOR_SSO_STAFF_GROUPS = env_names("EXECUTOR_SSO_STAFF_GROUPS")
EXECUTOR_SSO_SUPERUSER_GROUPS = env_names("EXECUTOR_SSO_SUPERUSER_GROUPS")
