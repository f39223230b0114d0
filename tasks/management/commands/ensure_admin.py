import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "On a fresh installation (no users at all), create the first admin account with a "
        "random password and print it once. Does nothing when any user exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        User = get_user_model()
        if User.objects.exists():
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        bar = "=" * 64
        self.stdout.write(
            f"{bar}\nCreated the first admin account. Sign in with:\n"
            f"    username: {username}\n    password: {password}\n"
            "This password is shown only now; change it under Admin > Users.\n"
            f"{bar}"
        )
