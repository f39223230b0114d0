"""Scoped tokens (tasks.models.ScopedToken) as a DRF authentication class, and the
scope check of the views that touch runs and schedules.

It comes before DRF's TokenAuthentication and takes every `Token` header: a scoped key
itself, a legacy DRF key through TokenAuthentication's own lookup, so that a legacy key
keeps working and every refused key, of either kind, is logged
(tasks.services.tokens.refused: by name, prefix and user where known, never the key).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS

from tasks.models import ScopedToken
from tasks.models.tokens import KEY_PREFIX
from tasks.services import tokens


class ScopedTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"token":
            return None  # no token: the session's, or another scheme's
        if len(parts) != 2:
            tokens.refused("(malformed header)", f"{len(parts) - 1} words after 'Token'")
            return super().authenticate(request)  # DRF's messages for it
        key = parts[1].decode("ascii", "replace")
        if not key.startswith(KEY_PREFIX):
            return self._legacy(request, key)
        token = ScopedToken.find(key)
        if token is None:
            tokens.refused(f"{tokens.shown(key)} (unknown)", "no such key")
            raise exceptions.AuthenticationFailed("Invalid token.")
        refusal = token.refusal()
        if refusal is not None:
            tokens.refused(tokens.describe(token), refusal)
            raise exceptions.AuthenticationFailed(refusal)
        if token.read_only and request.method not in SAFE_METHODS:
            tokens.refused(tokens.describe(token), f"read-only, for {request.method}")
            raise exceptions.PermissionDenied(
                f"This token ({token.name!r}) is read-only: it may not {request.method}."
            )
        token.touch()
        return token.user, token

    def _legacy(self, request, key):
        try:
            return self.authenticate_credentials(key)
        except exceptions.AuthenticationFailed as exc:
            user = self._owner(key)
            what = f"legacy token ({tokens.shown(key)})" + (f" of {user}" if user else "")
            tokens.refused(what, str(exc.detail))
            raise

    def _owner(self, key):
        token = self.get_model().objects.select_related("user").filter(key=key).first()
        return token.user.get_username() if token is not None else None


def require_script_scope(request, script):
    """403 when the request's scoped token may not touch runs or schedules of `script`."""
    refusal = tokens.scope_refusal(request.auth, script)
    if refusal is not None:
        raise exceptions.PermissionDenied(refusal)


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
