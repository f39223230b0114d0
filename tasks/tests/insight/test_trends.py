"""A script's trends against a fixture computed by hand."""

from datetime import UTC, datetime, timedelta

import pytest

from tasks.access import visible_tasks
from tasks.insight.trends import glances, script_trends
from tasks.models import Status
from tasks.tests.factories import finished_run, make_task

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def run(user, *, days_ago, status=Status.SUCCESS, seconds=2, script="echo", **fields):
    """A run ended through Task.finish, as the engine ends it: the figures count it."""
    created = NOW - timedelta(days=days_ago)
    return finished_run(user, script, status, created_at=created, seconds=seconds, **fields)


@pytest.fixture
def history(user, other_user):
    """Seven days of `echo`, by hand:

    - 1.5 days ago, in this order: success 10 s (400 KiB), success 20 s (900 KiB), failed
      "ValueError: x"
    - 3.5 days ago, in this order: success 30 s, failed "ValueError: x", failed
      "KeyError: 'k'", cancelled
    - 6.5 days ago: success 40 s (100 KiB)
    - 9 days ago (outside 7 d): success 50 s, failed "ValueError: x"
    - another script, and another user's run (invisible to alice): never counted.
    """
    run(user, days_ago=1.5, seconds=10, peak_memory_kb=400)
    run(user, days_ago=1.49, seconds=20, peak_memory_kb=900)
    run(user, days_ago=1.48, status=Status.FAILED, exception="ValueError: x")
    run(user, days_ago=3.5, seconds=30)
    run(user, days_ago=3.49, status=Status.FAILED, exception="ValueError: x")
    run(user, days_ago=3.48, status=Status.FAILED, exception="KeyError: 'k'")
    run(user, days_ago=3.47, status=Status.CANCELLED)
    run(user, days_ago=6.5, seconds=40, peak_memory_kb=100)
    run(user, days_ago=9, seconds=50)
    run(user, days_ago=9, status=Status.FAILED, exception="ValueError: x")
    run(user, days_ago=1, script="lines", status=Status.FAILED, exception="OSError: y")
    run(other_user, days_ago=1, status=Status.FAILED, exception="SecretError: hidden")


def test_a_week_of_runs_by_hand(history, user):
    trends = script_trends(user, "echo", "7d", now=NOW)

    assert trends.runs == 8
    assert (trends.succeeded, trends.failed) == (4, 3)
    assert trends.success_rate == pytest.approx(100 * 4 / 7)
    # Successes 10, 20, 30, 40 s in buckets (5, 10], (10, 20], (20, 50] x 2. Nearest rank
    # ceil(0.5 * 4) = 2nd: the only run of (10, 20], at its top; ceil(0.95 * 4) = 4th: the
    # 2nd of 2 in (20, 50], at its top (the exact figure is 40 s).
    assert trends.p50 == timedelta(seconds=20)
    assert trends.p95 == timedelta(seconds=50)
    # Oldest first, as the chart draws them.
    assert [d.total_seconds() for _, d in trends.durations] == [40, 30, 10, 20]
    assert trends.exceptions == [("ValueError: x", 2), ("KeyError: 'k'", 1)]

    # 8 day buckets: the partial day 7 days ago up to today.
    assert len(trends.buckets) == 8
    by_day = {bucket.start.date().isoformat(): bucket for bucket in trends.buckets}
    assert by_day["2026-11-19"].counts == {"success": 2, "failed": 1}
    assert by_day["2026-11-19"].peak_memory_kb == 900
    assert by_day["2026-11-17"].counts == {"success": 1, "failed": 2, "cancelled": 1}
    assert by_day["2026-11-17"].peak_memory_kb is None
    assert by_day["2026-11-14"].counts == {"success": 1}
    assert by_day["2026-11-14"].peak_memory_kb == 100
    assert sum(bucket.total for bucket in trends.buckets) == 8


def test_a_longer_window_takes_in_the_older_runs(history, user):
    trends = script_trends(user, "echo", "30d", now=NOW)
    assert trends.runs == 10
    assert trends.exceptions[0] == ("ValueError: x", 3)
    # Successes 10..50 s: p50 is the 3rd of 5, the 1st of 3 in (20, 50]: 20 + 30 / 3.
    assert (trends.p50, trends.p95) == (timedelta(seconds=30), timedelta(seconds=50))
    assert len(trends.buckets) == 31


def test_a_day_window_counts_by_hour(history, user):
    trends = script_trends(user, "echo", "24h", now=NOW)
    assert trends.runs == 0
    assert trends.success_rate is None
    assert (trends.p50, trends.p95) == (None, None)
    assert len(trends.buckets) == 25
    assert trends.buckets[1].start - trends.buckets[0].start == timedelta(hours=1)


def test_staff_trends_take_in_every_users_runs(history, staff):
    trends = script_trends(staff, "echo", "7d", now=NOW)
    assert trends.runs == 9
    assert ("SecretError: hidden", 1) in trends.exceptions


def test_a_user_who_sees_only_their_runs_gets_only_their_figures(history, user, other_user):
    trends = script_trends(other_user, "echo", "7d", now=NOW)
    assert trends.runs == 1
    assert trends.exceptions == [("SecretError: hidden", 1)]


def test_active_runs_count_among_the_windows_runs(history, user):
    make_task(user, "echo", Status.RUNNING, created_at=NOW - timedelta(hours=1))
    make_task(user, "echo", Status.PENDING, created_at=NOW - timedelta(days=8))
    assert script_trends(user, "echo", "7d", now=NOW).runs == 9


def test_a_glance_is_the_last_status_and_recent_successful_durations(history, user):
    found = glances(visible_tasks(user), ["echo", "lines", "tally"])
    assert found["echo"].last_status == Status.FAILED  # the newest, 1.48 days ago
    assert found["echo"].durations == [50, 40, 30, 10, 20]
    assert found["lines"].last_status == Status.FAILED
    assert found["lines"].durations == []
    assert found["tally"].last_status is None
