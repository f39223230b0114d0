"""`manage.py revoke_token`: revoke API tokens; they stop working at once.

`revoke_token alice bob` deletes the legacy DRF token of each user;
`revoke_token --user alice --name ci` revokes alice's scoped token "ci";
`revoke_token --user alice --scoped` revokes every scoped token of alice's.
Each goes through tasks.services.tokens, which writes the audit event.
"""

from django.core.management.base import BaseCommand, CommandError

from tasks.services import ServiceError, tokens


class Command(BaseCommand):
    help = (
        "Revoke API tokens. With user names: the legacy token of each (create a new one with "
        "`manage.py drf_create_token <username>`). With --user and --name: that user's scoped "
        "token of that name; with --user and --scoped: all of that user's scoped tokens. "
        "The next request with a revoked token gets 401."
    )

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*", metavar="username")
        parser.add_argument("--user", help="The owner of the scoped token(s) to revoke.")
        parser.add_argument("--name", help="The name of the scoped token to revoke.")
        parser.add_argument(
            "--scoped", action="store_true", help="Revoke all the scoped tokens of --user."
        )

    def handle(self, *args, usernames, user, name, scoped, **options):
        if usernames and (user or name or scoped):
            raise CommandError(
                "Give either user names (their legacy tokens) or --user with --name or "
                "--scoped (scoped tokens), not both. Nothing was revoked."
            )
        try:
            if usernames:
                self._legacy(usernames)
            elif user and name and not scoped:
                self._named(user, name)
            elif user and scoped and not name:
                self._all_scoped(user)
            else:
                raise CommandError(
                    "Say which tokens: user names, or --user USER with --name NAME or "
                    "--scoped. Nothing was revoked."
                )
        except ServiceError as exc:
            raise CommandError(exc.message) from None

    def _legacy(self, usernames):
        unknown = []
        for username in usernames:  # every name checked before anything is revoked
            try:
                tokens.user_named(username)
            except ServiceError:
                unknown.append(username)
        if unknown:
            raise CommandError(f"No such user: {', '.join(unknown)}. Nothing was revoked.")
        for username in usernames:
            if tokens.revoke_legacy(None, username):
                self.stdout.write(f"Revoked the API token of {username}.")
            else:
                self.stdout.write(f"{username} has no API token; nothing to revoke.")

    def _named(self, username, name):
        token, done = tokens.revoke_named(None, username, name)
        if done:
            self.stdout.write(f"Revoked {username}'s token {name!r} ({token.prefix}…).")
        else:
            self.stdout.write(f"{username}'s token {name!r} was already revoked.")

    def _all_scoped(self, username):
        revoked = tokens.revoke_all_scoped(None, username)
        names = ", ".join(repr(token.name) for token in revoked)
        if revoked:
            self.stdout.write(f"Revoked {len(revoked)} scoped token(s) of {username}: {names}.")
        else:
            self.stdout.write(f"{username} has no scoped token that still works.")
