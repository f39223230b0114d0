"""Tests that need something a developer's machine may lack (a browser, PostgreSQL, Redis,
RabbitMQ, slapd, Node for the OpenID provider, curl and jq for the README's examples): they
skip with a clear reason there, and fail in CI, where `.ci/run` names what must be present
in EXECUTOR_TEST_REQUIRE (comma-separated: browser,postgres,redis,rabbitmq,ldap,oidc,curl)."""

import os
import shutil

import pytest


def required(name):
    """Whether EXECUTOR_TEST_REQUIRE says `name` must be present."""
    wanted = os.environ.get("EXECUTOR_TEST_REQUIRE", "")
    return name in {item.strip().lower() for item in wanted.split(",")}


def require_or_skip(name, available, reason):
    """Return when `available`; otherwise skip with `reason`, or fail when required."""
    if available:
        return
    if required(name):
        pytest.fail(f"{reason} (EXECUTOR_TEST_REQUIRE includes {name!r})", pytrace=False)
    pytest.skip(reason)


def require_commands(name, *commands):
    """Return when every command is on PATH; otherwise skip (or fail when `name` is
    required) naming the missing ones."""
    missing = [command for command in commands if shutil.which(command) is None]
    reason = (
        f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed "
        f"(Debian: apt-get install {' '.join(missing)})"
    )
    require_or_skip(name, not missing, reason)
