"""`manage.py revoke_token <username>...`: delete API tokens; they stop working at once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from tasks.history import audit


class Command(BaseCommand):
    help = (
        "Revoke the API token of each named user. The next request with it gets 401. "
        "Create a new one with `manage.py drf_create_token <username>`."
    )

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="+", metavar="username")

    def handle(self, *args, usernames, **options):
        User = get_user_model()
        field = User.USERNAME_FIELD
        unknown = [name for name in usernames if not User.objects.filter(**{field: name}).exists()]
        if unknown:
            raise CommandError(f"No such user: {', '.join(unknown)}. Nothing was revoked.")
        for name in usernames:
            with transaction.atomic():
                deleted, _ = Token.objects.filter(**{f"user__{field}": name}).delete()
                if deleted:
                    audit.record(
                        None, audit.AuditAction.REVOKE_TOKEN, actor_name="(command line)", user=name
                    )
            if deleted:
                self.stdout.write(f"Revoked the API token of {name}.")
            else:
                self.stdout.write(f"{name} has no API token; nothing to revoke.")
