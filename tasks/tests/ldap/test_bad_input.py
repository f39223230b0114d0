"""What a user can get wrong, or try, at the sign-in form with LDAP on: an LDAP filter
injected in the user name, an unreachable directory, a refused service account. Each is
refused with a clear message, logged, and signs nobody in."""

import logging
import socket
import time

import pytest
from django.contrib.auth.models import User
from django_auth_ldap.backend import LDAPBackend
from ldap.filter import escape_filter_chars

from tasks.web.ldap_backend import DIRECTORY_FAILED, NAME_REFUSED, UNREACHABLE, DirectoryBackend

pytestmark = pytest.mark.django_db

INJECTIONS = ["*)(uid=*", "*", "alice)(|(uid=*", "alice\\2a"]


def sign_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def page_says(response, message):
    return message in response.content.decode().replace("&#x27;", "'")


@pytest.mark.parametrize("username", INJECTIONS)
def test_an_ldap_filter_in_the_user_name_is_refused_and_logged(
    client, directory, use_directory, caplog, username
):
    use_directory(directory)
    with caplog.at_level(logging.WARNING, "tasks.web.ldap_backend"):
        response = sign_in(client, username, "alice-pw")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert page_says(response, NAME_REFUSED)
    assert f"LDAP sign-in refused: the user name {username!r}" in caplog.text
    assert User.objects.count() == 0


def test_a_nul_in_the_user_name_is_refused_before_the_directory(directory, use_directory, caplog):
    # The form refuses a NUL itself; other callers of the backend meet its own check.
    use_directory(directory)
    backend = DirectoryBackend()
    with caplog.at_level(logging.DEBUG):
        assert backend.authenticate(None, username="alice\x00", password="alice-pw") is None
    assert "LDAP sign-in refused: the user name 'alice\\x00'" in caplog.text
    assert "search_s(" not in caplog.text  # the directory was not asked


@pytest.mark.parametrize("username", ["*)(uid=*", "*", "alice)(|(uid=*"])
def test_the_library_alone_escapes_the_filter_so_nothing_matches(
    directory, use_directory, caplog, username
):
    # Beneath the refusal: django-auth-ldap's own backend, which searches for the name
    # with its filter characters escaped. The directory answers with no entry.
    use_directory(directory)
    with caplog.at_level(logging.DEBUG, "django_auth_ldap"):
        assert LDAPBackend().authenticate(None, username=username, password="alice-pw") is None
    answers = [message for message in caplog.messages if " returned " in message]
    assert answers, caplog.messages
    assert all("returned 0 objects" in message for message in answers)
    # The * and the parentheses went to the server escaped.
    escaped = f"(uid={escape_filter_chars(username)})"
    assert any(escaped in message for message in caplog.messages)
    assert User.objects.count() == 0


def test_refused_names_count_against_the_limit_on_failed_sign_ins(
    client, directory, use_directory, settings
):
    settings.EXECUTOR_LOGIN_RATE = (2, 900)
    use_directory(directory)
    for _ in range(2):
        assert sign_in(client, "*)(uid=*", "x").status_code == 200
    assert sign_in(client, "alice", "alice-pw").status_code == 429


def test_an_unreachable_directory_is_said_not_counted_and_logged(
    client, use_directory, settings, caplog, gone_directory
):
    settings.EXECUTOR_LOGIN_RATE = (2, 900)
    use_directory(gone_directory, EXECUTOR_LDAP_TIMEOUT="2")
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            response = sign_in(client, "alice", "alice-pw")
            assert response.status_code == 200
            assert page_says(response, UNREACHABLE)
    assert "Can't contact LDAP server" in caplog.text
    assert "_auth_user_id" not in client.session


def test_an_unreachable_directory_leaves_local_accounts_working(
    client, use_directory, gone_directory
):
    use_directory(gone_directory, EXECUTOR_LDAP_TIMEOUT="2")
    User.objects.create_user("local-admin", password="local-pw")
    assert sign_in(client, "local-admin", "local-pw").status_code == 302


def test_a_refused_service_account_is_said_and_logged(client, directory, use_directory, caplog):
    use_directory(directory, EXECUTOR_LDAP_BIND_PASSWORD="not-the-reader-pw")
    with caplog.at_level(logging.WARNING):
        response = sign_in(client, "alice", "alice-pw")
    assert page_says(response, DIRECTORY_FAILED)
    assert "INVALID_CREDENTIALS" in caplog.text
    assert User.objects.count() == 0


def test_a_directory_that_does_not_answer_is_given_up_on_within_the_timeout(
    client, use_directory, gone_directory
):
    # A port that accepts connections and never answers, like a firewall that drops.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        gone_directory.url = f"ldap://127.0.0.1:{silent.getsockname()[1]}"
        use_directory(gone_directory, EXECUTOR_LDAP_TIMEOUT="1")
        started = time.monotonic()
        response = sign_in(client, "alice", "alice-pw")
        elapsed = time.monotonic() - started
    assert page_says(response, UNREACHABLE)
    assert elapsed < 30  # the timeout is 1 s; 30 leaves room for a loaded machine
