"""Scoped tokens (tasks.models.ScopedToken) as a DRF authentication class, and the
scope checks of the views that start or stop runs.

It comes before DRF's TokenAuthentication and takes only keys with the scoped prefix, so
a legacy DRF token keeps working. A refused token is logged with its name and owner.
"""

import logging

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS

from tasks.models import ScopedToken
from tasks.models.tokens import KEY_PREFIX

logger = logging.getLogger(__name__)


class ScopedTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"token":
            return None
        if not parts[1].startswith(KEY_PREFIX.encode()):
            return None  # a legacy key: TokenAuthentication's
        token = ScopedToken.find(parts[1].decode("ascii", "replace"))
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        refusal = token.refusal()
        if refusal is not None:
            logger.warning("refused token %s of %s: %s", token.prefix, token.user, refusal)
            raise exceptions.AuthenticationFailed(refusal)
        if token.read_only and request.method not in SAFE_METHODS:
            logger.warning("refused read-only token %s of %s", token.prefix, token.user)
            raise exceptions.PermissionDenied(
                f"This token ({token.name!r}) is read-only: it may not {request.method}."
            )
        token.touch()
        return token.user, token


def require_script_scope(request, script):
    """403 when the request's scoped token may not act on runs of `script`."""
    token = request.auth
    if isinstance(token, ScopedToken) and not token.allows_script(script):
        logger.warning("refused token %s of %s for %s", token.prefix, token.user, script)
        allowed = ", ".join(token.scripts)
        raise exceptions.PermissionDenied(
            f"This token ({token.name!r}) may act only on the scripts {allowed}, not {script!r}."
        )


class ScopedTokenScheme(OpenApiAuthenticationExtension):
    """The schema's name for scoped tokens (DRF's token is `tokenAuth`)."""

    target_class = ScopedTokenAuthentication
    name = "scopedTokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A scoped token: `Token exk_...` (see /account/tokens/).",
        }
