"""`manage.py check` on operations settings: retention, the log cap, the pool size, and
catalog groups that do not exist."""

from io import StringIO

import pytest
from django.core.management import call_command

from tasks.checks import check_catalog_groups, check_operations


def ids(problems):
    return [problem.id for problem in problems]


def test_the_defaults_raise_nothing():
    assert check_operations() == []


@pytest.mark.parametrize("days", [-1, "30", 2.5, True])
def test_retention_must_be_a_whole_number_of_days(settings, days):
    settings.EXECUTOR_RETENTION_DAYS = days
    (problem,) = check_operations()
    assert problem.id == "executor.E030"
    assert "whole number of days" in problem.msg


def test_retention_with_a_backend_that_never_purges_says_to_schedule_the_command(settings):
    settings.EXECUTOR_RETENTION_DAYS = 14
    settings.EXECUTOR_BACKEND = "thread"
    assert check_operations() == []
    settings.EXECUTOR_BACKEND = "inline"
    (problem,) = check_operations()
    assert problem.id == "executor.W030"
    assert "manage.py purge_tasks --older-than 14d" in problem.hint


def test_a_log_cap_below_four_chunks_is_warned_about(settings):
    settings.EXECUTOR_MAX_LOG_BYTES = 200 * 1024
    assert ids(check_operations()) == ["executor.W031"]
    settings.EXECUTOR_MAX_LOG_BYTES = 256 * 1024
    assert check_operations() == []


def test_an_absurd_pool_size_is_warned_about(settings):
    settings.EXECUTOR_MAX_WORKERS = 500
    (problem,) = check_operations()
    assert problem.id == "executor.W032"
    assert "max_concurrent" in problem.hint


@pytest.mark.django_db
def test_a_catalog_group_that_does_not_exist_is_named(club):
    assert check_catalog_groups(databases=["default"]) == []
    club.delete()
    (problem,) = check_catalog_groups(databases=["default"])
    assert problem.id == "executor.W003"
    assert "'club'" in problem.msg


def test_the_group_check_needs_the_database_flag():
    assert check_catalog_groups(databases=None) == []


@pytest.mark.django_db
def test_manage_py_check_shows_the_hint(settings):
    settings.EXECUTOR_BACKEND = "record"
    settings.EXECUTOR_RETENTION_DAYS = 7
    err = StringIO()
    call_command("check", stdout=StringIO(), stderr=err)
    assert "(executor.W030)" in err.getvalue()
    assert "HINT: Run `manage.py purge_tasks --older-than 7d` once a day" in err.getvalue()
