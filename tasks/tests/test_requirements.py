"""tasks.tests.requirements: skip where something is missing, fail where it is required."""

import pytest

from tasks.tests.requirements import require_or_skip, required


def test_it_returns_when_the_thing_is_there(monkeypatch):
    monkeypatch.setenv("EXECUTOR_TEST_REQUIRE", "browser")
    require_or_skip("browser", True, "no browser")


def test_a_missing_thing_skips_with_the_reason(monkeypatch):
    monkeypatch.delenv("EXECUTOR_TEST_REQUIRE", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no browser"):
        require_or_skip("browser", False, "no browser")


def test_a_missing_thing_that_is_required_fails(monkeypatch):
    monkeypatch.setenv("EXECUTOR_TEST_REQUIRE", "postgres, Browser")
    assert required("browser")
    assert not required("redis")
    with pytest.raises(pytest.fail.Exception, match="no browser"):
        require_or_skip("browser", False, "no browser")
