"""Timetables: cron in the schedule's zone across DST, intervals, one-offs, words."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from tasks.schedules import timetables
from tasks.schedules.timetables import TimetableError


def cron(expression, zone="UTC"):
    return SimpleNamespace(kind="cron", cron=expression, timezone=zone)


def local(moments, zone):
    return [moment.astimezone(ZoneInfo(zone)).strftime("%m-%d %H:%M%z") for moment in moments]


@pytest.mark.parametrize(
    ("zone", "start", "expected"),
    [
        # Clocks go forward at 02:00 on 29 March: 02:30 does not exist; it runs at 03:00.
        (
            "Europe/Berlin",
            datetime(2026, 3, 28, 12, tzinfo=UTC),
            ["03-29 03:00+0200", "03-30 02:30+0200", "03-31 02:30+0200"],
        ),
        # Clocks go back at 03:00 on 25 October: 02:30 happens twice; it runs once.
        (
            "Europe/Berlin",
            datetime(2026, 10, 24, 12, tzinfo=UTC),
            ["10-25 02:30+0200", "10-26 02:30+0100", "10-27 02:30+0100"],
        ),
        (
            "America/New_York",
            datetime(2026, 3, 7, 12, tzinfo=UTC),
            ["03-08 03:00-0400", "03-09 02:30-0400", "03-10 02:30-0400"],
        ),
        (
            "America/New_York",
            datetime(2026, 10, 31, 12, tzinfo=UTC),
            ["11-01 01:30-0400", "11-02 01:30-0500", "11-03 01:30-0500"],
        ),
    ],
)
def test_daily_cron_across_dst_neither_skips_nor_doubles(zone, start, expected):
    expression = "30 1 * * *" if expected[0].startswith("11-01") else "30 2 * * *"
    schedule = cron(expression, zone)
    times = timetables.upcoming(schedule, start, 3)
    assert local(times, zone) == expected


def test_chaining_following_through_the_repeated_hour_fires_once():
    schedule = cron("30 1 * * *", "America/New_York")
    first = timetables.following(schedule, datetime(2026, 11, 1, 4, tzinfo=UTC))
    second = timetables.following(schedule, first)
    assert second - first > timedelta(hours=23)


def test_weekday_cron_in_berlin_is_said_in_words_with_its_zone():
    schedule = cron("30 7 * * 1-5", "Europe/Berlin")
    assert timetables.describe(schedule) == "At 07:30, Monday through Friday (Europe/Berlin)"
    times = timetables.upcoming(schedule, datetime(2026, 12, 4, 12, tzinfo=UTC), 2)  # a Friday
    assert local(times, "Europe/Berlin") == ["12-07 07:30+0100", "12-08 07:30+0100"]


@pytest.mark.parametrize(
    "alias", ["@daily", "@midnight", "@hourly", "@weekly", "@monthly", "@yearly"]
)
def test_aliases_expand_to_five_fields(alias):
    assert len(timetables.expand(alias).split()) == 5


def test_interval_counts_real_seconds_and_is_due_at_once():
    schedule = SimpleNamespace(kind="interval", interval_seconds=90, timezone="UTC")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert timetables.upcoming(schedule, now, 3) == [
        now + timedelta(seconds=s) for s in (0, 90, 180)
    ]
    assert timetables.describe(schedule) == "every 90 seconds"


def test_a_one_off_fires_once():
    at = datetime(2030, 1, 1, 9, tzinfo=UTC)
    schedule = SimpleNamespace(kind="once", run_at=at, timezone="Europe/Berlin")
    assert timetables.upcoming(schedule, datetime(2029, 1, 1, tzinfo=UTC)) == [at]
    assert timetables.following(schedule, at) is None
    assert timetables.describe(schedule) == "once, on 2030-01-01 at 10:00 Europe/Berlin"


@pytest.mark.parametrize(
    ("kind", "fields", "field"),
    [
        ("cron", {"cron": "61 * * * *"}, "cron"),
        ("cron", {"cron": "* * *"}, "cron"),
        ("cron", {"cron": "@sometimes"}, "cron"),
        ("cron", {"cron": "* * * * *", "timezone": "Mars/Olympus"}, "timezone"),
        ("interval", {"interval_seconds": 0}, "interval_seconds"),
        ("once", {"run_at": datetime(2000, 1, 1, tzinfo=UTC), "now": datetime.now(UTC)}, "run_at"),
        ("weekly", {}, "kind"),
    ],
)
def test_an_unusable_timetable_names_its_field(kind, fields, field):
    with pytest.raises(TimetableError) as caught:
        timetables.check(kind, **fields)
    assert caught.value.field == field
