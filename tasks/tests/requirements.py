"""Tests that need a service (a browser, PostgreSQL, Redis, RabbitMQ) skip where it is missing,
with the reason, and fail instead where EXECUTOR_TEST_REQUIRE names it (`.ci/run` does)."""

import os

import pytest


def required():
    """The names in EXECUTOR_TEST_REQUIRE (comma-separated), e.g. {"postgres", "redis"}."""
    value = os.environ.get("EXECUTOR_TEST_REQUIRE", "")
    return {name.strip().lower() for name in value.split(",") if name.strip()}


def require_or_skip(name, available, reason):
    """Skip the test when `available` is false, or fail it if `name` is required."""
    if available:
        return
    if name.lower() in required():
        pytest.fail(f"{reason} (EXECUTOR_TEST_REQUIRE includes {name!r})", pytrace=False)
    pytest.skip(reason)
