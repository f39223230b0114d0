"""The provider's endpoints, read from its discovery document and kept for a while.

mozilla-django-oidc wants each endpoint as a setting; operators know the issuer URL. The
document is fetched when first needed (not at start: a provider that is down must not
stop the site, whose local accounts still work) and kept for EXECUTOR_OIDC_DISCOVERY_TTL
seconds. A failed fetch is not kept, so the next sign-in tries again.
"""

import logging
import threading
import time

import requests
from django.conf import settings
from mozilla_django_oidc.utils import import_from_settings

logger = logging.getLogger("tasks.web.oidc")

# mozilla-django-oidc's setting -> the discovery document's key.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}

_lock = threading.Lock()
_cache: dict[str, tuple[float, dict]] = {}


class SignInRefused(Exception):
    """A sign-in that must not go on. `message` is for the user, `detail` for the log."""

    def __init__(self, message, detail=""):
        super().__init__(message)
        self.message = message
        self.detail = detail or message


def enabled():
    return bool(settings.EXECUTOR_OIDC_ISSUER)


def issuer():
    return settings.EXECUTOR_OIDC_ISSUER.rstrip("/")


def metadata():
    """The discovery document of the configured issuer (cached)."""
    url = f"{issuer()}/.well-known/openid-configuration"
    with _lock:
        cached = _cache.get(url)
        if cached and cached[0] > time.monotonic():
            return cached[1]
    document = _fetch(url)
    with _lock:
        _cache[url] = (time.monotonic() + settings.EXECUTOR_OIDC_DISCOVERY_TTL, document)
    return document


def cached():
    """The discovery document if one is kept now, else None (never fetches)."""
    url = f"{issuer()}/.well-known/openid-configuration"
    with _lock:
        kept = _cache.get(url)
    return kept[1] if kept and kept[0] > time.monotonic() else None


def forget():
    """Drop the cached documents (tests; a provider that moved its endpoints)."""
    with _lock:
        _cache.clear()


def _fetch(url):
    unreachable = "The sign-in provider cannot be reached. Try again later."
    try:
        response = requests.get(url, timeout=settings.EXECUTOR_OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise SignInRefused(unreachable, f"discovery document {url}: {error}") from error
    wrong = "The sign-in provider is not set up correctly here. Tell an administrator."
    if not isinstance(document, dict):
        raise SignInRefused(wrong, f"discovery document {url} is not a JSON object")
    # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer it
    # was asked for, or its tokens would be checked against the wrong one.
    if str(document.get("issuer", "")).rstrip("/") != issuer():
        raise SignInRefused(
            wrong,
            f"discovery document {url} names issuer {document.get('issuer')!r}, not {issuer()!r}",
        )
    missing = [key for key in DISCOVERED.values() if not document.get(key)]
    if missing:
        raise SignInRefused(wrong, f"discovery document {url} lacks {missing}")
    return document


def oidc_setting(attr, *default):
    """mozilla-django-oidc's `get_settings`: an endpoint comes from discovery unless the
    settings name it; everything else from the settings."""
    if attr in DISCOVERED and not hasattr(settings, attr):
        return metadata()[DISCOVERED[attr]]
    return import_from_settings(attr, *default)
