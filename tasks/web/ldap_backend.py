"""The LDAP / Active Directory sign-in backend: django-auth-ldap's, with what the sign-in
page needs on top (settings: executor_site/ldap_settings.py).

django-auth-ldap does the work: it escapes the user name in the search filter, binds as
the user to check the password, and applies staff/superuser flags and mirrored groups.
This subclass adds what it leaves to its caller:

- A user name holding LDAP filter characters (`*`, `(`, `)`, `\\`, NUL) is refused before
  the directory is asked, and logged: escaping already makes `*)(uid=*` match nothing,
  and no directory or local account has such a name, so it can only be a probe.
- A failed sign-in is logged at WARNING with its reason (unknown user, or a password or
  group the directory refused); the library says so only at DEBUG.
- When the directory could not be asked (down, a timeout, a failed StartTLS, a refused
  service bind), the sign-in form says that instead of "wrong password" (and does not
  count it as a failed attempt: no password was checked).
- A session of a user deactivated in the admin ends, as with Django's own backend.
- A directory user signs in as the account linked to their entry's DN
  (tasks.services.identities), never as a local account that merely has their user name:
  django-auth-ldap would take any account of that name. Their first sign-in makes their
  own account, named `<name>@<directory host>` when the name is taken.
"""

import logging
from urllib.parse import urlsplit

import ldap
from django.conf import settings
from django.dispatch import receiver
from django_auth_ldap.backend import LDAPBackend, ldap_error

from tasks.models.identity import LDAP
from tasks.services import identities
from tasks.web.login import NO_SUCH_DIRECTORY_USER, note_failure, note_problem, noted_problem

logger = logging.getLogger(__name__)

FILTER_CHARACTERS = frozenset("*()\\\x00")
NAME_REFUSED = (
    "A user name cannot contain *, (, ), \\ or NUL. Sign in with your user name alone "
    "(jdoe, not DOMAIN\\jdoe)."
)
UNREACHABLE = (
    "The directory (LDAP) cannot be reached, so your password could not be checked. "
    "Try again in a minute; if it persists, tell the administrator."
)
UNVERIFIED = (
    "No secure (TLS) connection to the directory (LDAP) could be made, so your password "
    "was not sent: its certificate may not verify. Tell the administrator."
)
DIRECTORY_FAILED = (
    "The directory (LDAP) refused to look you up, so your password could not be checked. "
    "The administrator will find the reason in the server's log."
)


class DirectoryBackend(LDAPBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and FILTER_CHARACTERS.intersection(username):
            logger.warning(
                "LDAP sign-in refused: the user name %r holds LDAP filter characters", username
            )
            note_problem(request, NAME_REFUSED)
            note_failure(request, "ldap", "the user name holds LDAP filter characters")
            return None
        return super().authenticate(request, username, password, **kwargs)

    def get_user(self, user_id):
        # As Django's own backend: a session of a user deactivated in the admin ends at
        # their next request (django-auth-ldap's get_user returns them regardless).
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def get_or_build_user(self, username, ldap_user):
        # Called once the directory has checked the password and the required group.
        subject = identities.ldap_subject(ldap_user.dn)
        user = identities.user_for(LDAP, subject)
        if user is not None:
            return user, False
        name = self.ldap_to_django_username(username).lower()
        return identities.create_for(LDAP, subject, name, directory_host()), True

    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        request = ldap_user._request
        if user is None and noted_problem(request) is None:
            # _user_dn is where django-auth-ldap keeps what the user search found; reading
            # `dn` instead would search again.
            if ldap_user._user_dn is None:
                reason = NO_SUCH_DIRECTORY_USER
            else:
                reason = "the directory refused the password (or a required group)"
            logger.warning("LDAP sign-in failed for %r: %s", ldap_user._username, reason)
            note_failure(request, "ldap", reason)
        return user


def directory_host():
    """The first server's host, which a new account's name gets when its own is taken."""
    first = (getattr(settings, "AUTH_LDAP_SERVER_URI", "") or "ldap").split()[0]
    return urlsplit(first).hostname or "ldap"


@receiver(ldap_error, sender=DirectoryBackend)
def _directory_error(sender, context, request=None, exception=None, **kwargs):
    # django-auth-ldap has logged the error itself (logger django_auth_ldap, WARNING).
    if isinstance(exception, ldap.CONNECT_ERROR):
        # What libldap raises when StartTLS fails (a certificate that does not verify).
        problem = UNVERIFIED
    elif isinstance(exception, (ldap.SERVER_DOWN, ldap.TIMEOUT)):
        problem = UNREACHABLE
    else:
        problem = DIRECTORY_FAILED
    note_problem(request, problem, counts=False)
    note_failure(request, "ldap", f"the directory could not be asked: {exception!r}"[:300])
