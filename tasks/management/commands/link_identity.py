"""`manage.py link_identity`: say which account a sign-in provider's user signs in as.

A provider's user is never matched to an account by user name (tasks.services.identities):
an existing account becomes a provider user's only through this command or the user's
admin page. `link_identity alice --ldap uid=alice,ou=people,dc=example,dc=org` and
`link_identity alice --oidc 8f2c...` (the provider's `sub` for her, at the configured
issuer) link; `--unlink ldap` or `--unlink oidc` undoes it. `link_identity alice bob
--ldap-lookup` finds each name's entry with the configured user search and links it: the
upgrade of a site whose directory users signed in before identities existed. Each link
writes an audit event.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tasks.models.identity import LDAP, oidc_provider
from tasks.services import ServiceError, identities


class Command(BaseCommand):
    help = (
        "Link an existing account to a sign-in provider's user, who then signs in as it: "
        "--ldap DN (the directory entry), or --oidc SUB (the `sub` the OpenID provider at "
        "EXECUTOR_OIDC_ISSUER, or --issuer, gives the user). --unlink ldap|oidc undoes it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "usernames", nargs="+", metavar="username", help="The account (its user name)."
        )
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--ldap", metavar="DN", help="The directory entry's DN.")
        which.add_argument(
            "--ldap-lookup",
            action="store_true",
            help="Link each account to the directory entry its user name finds.",
        )
        which.add_argument("--oidc", metavar="SUB", help="The OpenID provider's `sub`.")
        which.add_argument("--unlink", choices=["ldap", "oidc"], help="Remove that link.")
        parser.add_argument("--issuer", help="The OpenID provider (default: EXECUTOR_OIDC_ISSUER).")

    def handle(self, *args, usernames, ldap, ldap_lookup, oidc, unlink, issuer, **options):
        if ldap_lookup:
            return self._lookup(usernames)
        if len(usernames) != 1:
            raise CommandError("Give one user name (several only with --ldap-lookup).")
        username = usernames[0]
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No such user: {username}. Nothing was linked.") from None
        try:
            if unlink:
                provider = LDAP if unlink == "ldap" else self._oidc(issuer)
                removed = identities.unlink(user, provider)
                if not removed:
                    raise CommandError(f"{username} is not linked to {provider}.")
                self.stdout.write(f"Unlinked {username} from {provider}.")
                return
            if ldap is not None:
                provider, subject = LDAP, identities.ldap_subject(ldap)
            else:
                provider, subject = self._oidc(issuer), oidc.strip()
            if not subject:
                raise CommandError("The provider's id for the user is empty.")
            identities.link(user, provider, subject)
        except ServiceError as exc:
            raise CommandError(f"{exc.message} Nothing was linked.") from None
        self.stdout.write(f"{provider} user {subject} now signs in as {username}.")

    def _oidc(self, issuer):
        issuer = (issuer or settings.EXECUTOR_OIDC_ISSUER).strip()
        if not issuer:
            raise CommandError(
                "No OpenID provider: set EXECUTOR_OIDC_ISSUER or pass --issuer. Nothing changed."
            )
        return oidc_provider(issuer)

    def _lookup(self, usernames):
        users = get_user_model().objects
        unknown = [name for name in usernames if not users.filter(username=name).exists()]
        if unknown:
            raise CommandError(f"No such user: {', '.join(unknown)}. Nothing was linked.")
        if not getattr(settings, "AUTH_LDAP_SERVER_URI", ""):
            raise CommandError("LDAP is off (EXECUTOR_LDAP_URL). Nothing was linked.")
        found = {name: _directory_dn(name) for name in usernames}  # all before any link
        if missing := [name for name, dn in found.items() if dn is None]:
            raise CommandError(
                f"The directory has no entry for {', '.join(missing)} (or could not be "
                "asked: see the log). Nothing was linked."
            )
        try:
            for name, dn in found.items():
                subject = identities.ldap_subject(dn)
                identities.link(users.get(username=name), LDAP, subject)
                self.stdout.write(f"{LDAP} user {subject} now signs in as {name}.")
        except ServiceError as exc:
            raise CommandError(f"{exc.message} The links above were made.") from None


def _directory_dn(username):
    """The DN the configured user search finds for `username`, or None.

    django-auth-ldap's own search (its _LDAPUser, the one object that binds with the
    service account, applies the connection options and escapes the name): the command
    must find exactly the entry a sign-in would."""
    from django_auth_ldap.backend import LDAPBackend, _LDAPUser

    return _LDAPUser(LDAPBackend(), username=username).dn
