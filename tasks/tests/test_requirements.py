"""tasks.tests.requirements: skip where something is missing, fail where it is required."""

import pytest

from tasks.tests.requirements import require_commands, require_or_skip, required


def test_a_thing_that_is_there_neither_skips_nor_fails_even_when_required(monkeypatch):
    monkeypatch.setenv("EXECUTOR_TEST_REQUIRE", "browser")
    assert require_or_skip("browser", True, "no browser") is None


def test_a_missing_thing_skips_with_the_reason(monkeypatch):
    monkeypatch.delenv("EXECUTOR_TEST_REQUIRE", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^no browser$"):
        require_or_skip("browser", False, "no browser")


def test_a_missing_thing_skips_when_only_other_things_are_required(monkeypatch):
    monkeypatch.setenv("EXECUTOR_TEST_REQUIRE", "postgres,redis")
    with pytest.raises(pytest.skip.Exception, match="no browser"):
        require_or_skip("browser", False, "no browser")


def test_a_missing_thing_that_is_required_fails_naming_the_variable(monkeypatch):
    monkeypatch.setenv("EXECUTOR_TEST_REQUIRE", "postgres, Browser")
    with pytest.raises(pytest.fail.Exception) as failed:
        require_or_skip("browser", False, "no browser")
    assert str(failed.value) == "no browser (EXECUTOR_TEST_REQUIRE includes 'browser')"


@pytest.mark.parametrize(
    ("wanted", "name", "expected"),
    [
        ("", "browser", False),
        ("postgres, Browser", "browser", True),
        ("postgres, Browser", "redis", False),
        ("browsers", "browser", False),
        (" REDIS ,", "redis", True),
    ],
)
def test_required_reads_a_comma_separated_case_insensitive_list(
    monkeypatch, wanted, name, expected
):
    monkeypatch.setenv("EXECUTOR_TEST_REQUIRE", wanted)
    assert required(name) is expected


def test_nothing_is_required_when_the_variable_is_unset(monkeypatch):
    monkeypatch.delenv("EXECUTOR_TEST_REQUIRE", raising=False)
    assert not required("browser")


def test_missing_commands_are_named_in_the_skip(monkeypatch):
    monkeypatch.delenv("EXECUTOR_TEST_REQUIRE", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        require_commands("curl", "sh", "no-such-command-1", "no-such-command-2")
    assert str(skipped.value) == (
        "no-such-command-1 and no-such-command-2 are not installed "
        "(Debian: apt-get install no-such-command-1 no-such-command-2)"
    )


def test_missing_commands_fail_when_required(monkeypatch):
    monkeypatch.setenv("EXECUTOR_TEST_REQUIRE", "curl")
    with pytest.raises(pytest.fail.Exception, match="no-such-command is not installed"):
        require_commands("curl", "no-such-command")


def test_commands_that_are_there_pass_even_when_required(monkeypatch):
    monkeypatch.setenv("EXECUTOR_TEST_REQUIRE", "curl")
    assert require_commands("curl", "sh") is None
