"""The first start creates an admin with a random password, printed once."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run():
    output = StringIO()
    call_command("ensure_admin", stdout=output)
    return output.getvalue()


def test_with_no_users_it_creates_an_admin_and_prints_the_password_once():
    printed = run()
    password = re.search(r"password: (\S+)", printed).group(1)
    assert len(password) >= 16
    admin = User.objects.get()
    assert (admin.username, admin.is_superuser, admin.is_staff) == ("admin", True, True)
    assert authenticate(username="admin", password=password) == admin
    assert run() == ""  # not again


def test_two_installations_get_different_passwords():
    first = re.search(r"password: (\S+)", run()).group(1)
    User.objects.all().delete()
    assert re.search(r"password: (\S+)", run()).group(1) != first


def test_it_does_nothing_when_any_user_exists(user):
    assert run() == ""
    assert not User.objects.filter(username="admin").exists()


def test_createsuperuser_noinput_keeps_working(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-enough-password-1")
    call_command(
        "createsuperuser", "--noinput", username="ops", email="ops@example.com", stdout=StringIO()
    )
    assert authenticate(username="ops", password="a-long-enough-password-1").is_superuser
