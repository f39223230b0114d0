"""When a schedule is due: a cron expression in an IANA time zone, an interval, or once.

Cron expressions are evaluated by cronsim in the schedule's zone, so a daily 02:30 runs
once on the night the clocks go forward (at 03:00) and once, not twice, when they go back.
Intervals count real seconds from the previous due time, whatever the wall clock does.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cron_descriptor import Options, get_description
from cronsim import CronSim, CronSimError

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


class TimetableError(ValueError):
    """A timetable that cannot be used; `field` names the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def expand(expression: str) -> str:
    """The five fields of `expression` (an @alias expanded); TimetableError if invalid."""
    text = " ".join(expression.split())
    text = ALIASES.get(text.lower(), text)
    if len(text.split(" ")) != 5:
        raise TimetableError(
            "cron", f"{expression!r} is not a cron expression: five fields or an @alias."
        )
    try:
        CronSim(text, datetime(2000, 1, 1, tzinfo=UTC))
    except CronSimError as exc:
        raise TimetableError("cron", f"{expression!r} is not a cron expression: {exc}.") from None
    return text


@cache
def _known_zones() -> frozenset[str]:
    # available_timezones() walks the whole tz database on every call (600 files): a
    # tick asks for a zone per firing, so it is read once per process.
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    try:
        if name not in _known_zones():
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimetableError(
            "timezone", f"Unknown time zone {name!r} (an IANA name, such as Europe/Berlin)."
        ) from None


def problems(
    kind: str,
    *,
    cron: str = "",
    interval_seconds: int | None = None,
    run_at: datetime | None = None,
    timezone: str = "UTC",
    now: datetime | None = None,
) -> dict[str, str]:
    """What is wrong with this timetable, field by field (every field at once). A one-off
    must be after `now` when it is given (a changed or new one-off)."""
    found = {}
    try:
        zone(timezone)
    except TimetableError as exc:
        found[exc.field] = exc.message
    if kind == "cron":
        try:
            expand(cron)
        except TimetableError as exc:
            found[exc.field] = exc.message
    elif kind == "interval":
        if interval_seconds is None or interval_seconds < 1:
            found["interval_seconds"] = "The interval must be at least 1 second."
    elif kind == "once":
        if run_at is None:
            found["run_at"] = "A one-off schedule needs a date and time."
        elif now is not None and run_at <= now:
            found["run_at"] = "The date and time of a one-off schedule is in the past."
    else:
        found["kind"] = f"Unknown timetable {kind!r}: cron, interval or once."
    return found


def check(kind: str, **fields) -> None:
    """Raise TimetableError naming the first field at fault (see `problems`)."""
    for field, message in problems(kind, **fields).items():
        raise TimetableError(field, message)


def following(schedule, after: datetime) -> datetime | None:
    """The first due time of `schedule` strictly after `after`, or None (a one-off fired)."""
    if schedule.kind == "interval":
        return after + timedelta(seconds=schedule.interval_seconds)
    if schedule.kind == "once":
        return schedule.run_at if schedule.run_at > after else None
    start = after.astimezone(zone(schedule.timezone))
    return next(iter(CronSim(expand(schedule.cron), start))).astimezone(UTC)


def first(schedule, now: datetime) -> datetime | None:
    """The first due time of a new (or resumed) schedule: the next one after `now`. An
    interval schedule is due at once."""
    if schedule.kind == "interval":
        return now
    if schedule.kind == "once":
        return schedule.run_at if schedule.run_at > now else None
    return following(schedule, now)


def upcoming(schedule, now: datetime, count: int = 5) -> list[datetime]:
    """The next `count` due times from `now`; a saved schedule's start at its
    next_fire_at (its next due time itself, then the ones after it)."""

    def times() -> Iterator[datetime]:
        moment = getattr(schedule, "next_fire_at", None) or first(schedule, now)
        while moment is not None:
            yield moment
            moment = following(schedule, moment)

    return list(islice(times(), count))


def describe(schedule) -> str:
    """The timetable in words: "At 07:30, Monday through Friday (Europe/Berlin)"."""
    if schedule.kind == "interval":
        seconds = schedule.interval_seconds
        for unit, size in (("hour", 3600), ("minute", 60)):
            if seconds % size == 0:
                count = seconds // size
                return f"every {unit}" if count == 1 else f"every {count} {unit}s"
        return "every second" if seconds == 1 else f"every {seconds} seconds"
    if schedule.kind == "once":
        local = schedule.run_at.astimezone(zone(schedule.timezone))
        return f"once, on {local:%Y-%m-%d at %H:%M} {schedule.timezone}"
    options = Options()
    options.use_24hour_time_format = True
    words = get_description(expand(schedule.cron), options)
    return f"{words} ({schedule.timezone})"
