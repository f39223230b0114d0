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
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.shortcuts import resolve_url

from tasks.web.oidc.discovery import SignInRefused, cached, enabled, issuer, metadata

logger = logging.getLogger("tasks.web.oidc")

BACKEND = "tasks.web.oidc.backend.OIDCBackend"


def signs_out_there(request):
    """Whether this request's session signs out at the provider too."""
    return bool(
        enabled()
        and settings.EXECUTOR_OIDC_PROVIDER_SIGN_OUT
        and request.session.get(BACKEND_SESSION_KEY) == BACKEND
    )


def _origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def form_action_origins():
    """The origins a sign-out form's redirect may go to: the issuer's, and the
    end-session endpoint's when the kept discovery document puts it elsewhere. Browsers
    hold a form's redirects to the page's CSP form-action, which is 'self' alone."""
    origins = {_origin(issuer())}
    if (document := cached()) and document.get("end_session_endpoint"):
        origins.add(_origin(str(document["end_session_endpoint"])))
    return sorted(origin for origin in origins if origin)


def provider_logout_url(request):
    """Where the browser goes after signing out (called before the session ends)."""
    local = resolve_url(settings.LOGOUT_REDIRECT_URL or "/")
    if not signs_out_there(request):
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
