"""Signing out of the provider too: the URL of its end-session endpoint (OpenID Connect
RP-Initiated Logout 1.0), which mozilla-django-oidc's sign-out view sends the browser to
(OIDC_OP_LOGOUT_URL_METHOD names `provider_logout_url`).

Without it, "Sign out" here leaves the provider's session open, and the next "Sign in
with ..." in that browser signs the same person in again without asking: on a shared
computer, anyone. Only a session that was signed in through the provider goes there, and
only when the provider's discovery document names an `end_session_endpoint` and
EXECUTOR_OIDC_PROVIDER_SIGN_OUT is on; everyone else goes to LOGOUT_REDIRECT_URL.
"""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.shortcuts import resolve_url

from tasks.web.oidc.discovery import SignInRefused, enabled, metadata

logger = logging.getLogger("tasks.web.oidc")

BACKEND = "tasks.web.oidc.backend.OIDCBackend"


def provider_logout_url(request):
    """Where the browser goes after signing out (called before the session ends)."""
    local = resolve_url(settings.LOGOUT_REDIRECT_URL or "/")
    if not (
        enabled()
        and settings.EXECUTOR_OIDC_PROVIDER_SIGN_OUT
        and request.session.get(BACKEND_SESSION_KEY) == BACKEND
    ):
        return local
    try:
        endpoint = metadata().get("end_session_endpoint")
    except SignInRefused as refused:
        logger.warning("sign-out at the provider skipped: %s", refused.detail)
        return local
    if not endpoint:
        return local
    query = {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(local),
    }
    if id_token := request.session.get("oidc_id_token"):
        query["id_token_hint"] = id_token
    separator = "&" if "?" in endpoint else "?"
    return f"{endpoint}{separator}{urlencode(query)}"


def signs_out_at_provider(url):
    """Whether `provider_logout_url` sent the browser to the provider."""
    return url != resolve_url(settings.LOGOUT_REDIRECT_URL or "/")
