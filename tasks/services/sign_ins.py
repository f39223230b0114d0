"""Sign-ins in the audit trail: each one that succeeds or fails, and each sign-out.

The ways in call these where they decide (the sign-in form's view, the OpenID Connect
callback, the sign-out view), not Django's user_logged_in/user_login_failed signals:
those also fire for a test client's force_login and for callers of authenticate() that
are no sign-in (an API's password check), and they do not know why a sign-in failed.

Each row names the user (or, for a failure, the name tried: actor left empty), and its
details hold `source` ("local", "ldap", "oidc"), `ip` (the client's address, through
DJANGO_NUM_PROXIES proxies as the limit on failed sign-ins counts it) and, for a
failure, `reason`.
"""

from django.db import transaction
from rest_framework.throttling import BaseThrottle

from tasks.history import audit
from tasks.models import AuditAction

NAME_LENGTH = 150
REASON_LENGTH = 500

# The authentication backends' dotted paths -> the source a row names.
SOURCES = {
    "django.contrib.auth.backends.ModelBackend": "local",
    "tasks.web.ldap_backend.DirectoryBackend": "ldap",
    "tasks.web.oidc.backend.OIDCBackend": "oidc",
}


def source_of(backend: str | None) -> str:
    """ "local", "ldap" or "oidc" for a backend's dotted path; another backend by its
    class name."""
    if not backend:
        return "unknown"
    return SOURCES.get(backend, backend.rsplit(".", 1)[-1])


def client_address(request) -> str:
    return BaseThrottle().get_ident(request) or "unknown"


def signed_in(request, user, *, source: str, **details) -> None:
    with transaction.atomic():
        audit.record(
            user, AuditAction.SIGN_IN, source=source, ip=client_address(request), **details
        )


def failed(request, name: str, *, source: str, reason: str, **details) -> None:
    """A sign-in that signed nobody in; `name` is the user name tried ("" when the
    provider's answer never said whom)."""
    with transaction.atomic():
        audit.record(
            None,
            AuditAction.SIGN_IN_FAILED,
            actor_name=(name or "(unknown)")[:NAME_LENGTH],
            source=source,
            ip=client_address(request),
            reason=reason[:REASON_LENGTH],
            **details,
        )


def signed_out(request, user, *, source: str, **details) -> None:
    with transaction.atomic():
        audit.record(
            user, AuditAction.SIGN_OUT, source=source, ip=client_address(request), **details
        )
