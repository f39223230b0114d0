"""Filter, search and order the run history from query parameters.

The API's task list and the history page read the same parameters, so a filtered page
in the browser and the same query against the API give the same runs:

    status=failed,cancelled  script=sample  user=alice  trigger=schedule,api
    created_after=2026-11-01  created_before=2026-11-30T12:00
    q=<search: id prefix, script, user, arguments, exception, parameter values>
    param.region=eu  schedule=3  ordering=-created_at
"""

import json
import re
from datetime import datetime, time

from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from tasks.history import search as search_index
from tasks.models import Status, Trigger

# The columns a list of runs leaves out: only a run's own page shows them (they can be
# large), and a list that shows no output or no request leaves those out too.
DETAIL_COLUMNS = ("argv", "env", "script_args", "summary", "files_note")
OUTPUT_TAILS = ("stdout_tail", "stderr_tail")
REQUEST_COLUMNS = ("args", "params")


def listed(queryset, *, tails=False, request=True):
    """`queryset` for a list of runs: without the columns no list shows, nor the output
    tails (unless `tails`) or the request's arguments and parameters (unless `request`)."""
    deferred = DETAIL_COLUMNS
    if not tails:
        deferred += OUTPUT_TAILS
    if not request:
        deferred += REQUEST_COLUMNS
    return queryset.defer(*deferred)


# Each ordering ends with the run's id, so that pages never repeat or skip a run, and each
# walks one index of Task.Meta.indexes forwards or (with '-') backwards, in whole.
ORDERINGS = {
    "created_at": ("created_at", "id"),
    "started_at": ("started_at", "id"),
    "completed_at": ("completed_at", "id"),
    "status": ("status", "-created_at", "-id"),
    "script": ("script", "-created_at", "-id"),
    "user": ("user_name", "-created_at", "-id"),
    "user_name": ("user_name", "-created_at", "-id"),
    "progress": ("progress", "id"),
    "return_code": ("return_code", "id"),
    "duration": ("duration", "id"),
}
DEFAULT_ORDERING = "-created_at"
NULLABLE = {"started_at", "completed_at", "progress", "return_code", "duration"}
MAX_SEARCH = 200
PARAM_PREFIX = "param."
_PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class FilterError(ValueError):
    """A filter value that cannot be understood; the message says which and why."""


def _by_schedule(queryset, params):
    """The runs fired by the schedules named by id in `schedule` (issue 11)."""
    schedules = _list(params, "schedule")
    if not schedules:
        return queryset
    if not all(value.isdigit() for value in schedules):
        raise FilterError("schedule: must be the id of a schedule (a whole number)")
    return queryset.filter(schedule_id__in=[int(value) for value in schedules])


def refuse_nul(params):
    """FilterError for a NUL character in any parameter: PostgreSQL cannot hold NUL in a
    text value, so it is refused here, on every database, before anything else."""
    names = ("status", "trigger", "schedule", "script", "user", "created_after", "created_before")
    for name in (*names, "ordering", "q", "search"):
        values = params.getlist(name) if hasattr(params, "getlist") else [params.get(name)]
        if any("\x00" in (value or "") for value in values):
            raise FilterError(f"{name}: must not contain NUL characters")


def apply(queryset, params):
    """Return the queryset filtered and ordered by `params` (a QueryDict or dict)."""
    refuse_nul(params)
    for name, choices in (("status", Status), ("trigger", Trigger)):
        chosen = _choices(params, name, choices.values)
        if chosen:
            queryset = queryset.filter(**{f"{name}__in": chosen})
    queryset = _by_schedule(queryset, params)
    scripts = _list(params, "script")
    if scripts:
        queryset = queryset.filter(script__in=scripts)
    users = _list(params, "user")
    if users:
        queryset = queryset.filter(user_name__in=users)
    after = _moment(params, "created_after", end_of_day=False)
    if after is not None:
        queryset = queryset.filter(created_at__gte=after)
    before = _moment(params, "created_before", end_of_day=True)
    if before is not None:
        queryset = queryset.filter(created_at__lte=before)
    queryset = by_param_values(queryset, params)
    text = (params.get("q") or params.get("search") or "").strip()
    if text:
        if len(text) > MAX_SEARCH:
            raise FilterError(f"q: the search text must be under {MAX_SEARCH} characters")
        found = search_index.matching(queryset, text)
        if found is None:
            raise FilterError(
                f"q: type at least {search_index.MIN_TEXT} characters (or 4 of a run's id) "
                "to search"
            )
        queryset = found
    return queryset.order_by(*ordering(params))


def by_param_values(queryset, params):
    """`?param.region=eu`: runs whose parameter `region` had the value `eu`. A value that
    reads as a number or a boolean also matches the parameter stored as one (`param.count=3`
    finds 3 and "3"); several values of one name match any of them."""
    for key in params:
        if not key.startswith(PARAM_PREFIX):
            continue
        name = key[len(PARAM_PREFIX) :]
        if not _PARAM_NAME.match(name):
            raise FilterError(f"{key}: a parameter name is letters, digits and underscores")
        values = params.getlist(key) if hasattr(params, "getlist") else [params.get(key)]
        match, exact = Q(), []
        for value in values:
            value = value or ""
            if "\x00" in value or len(value) > MAX_SEARCH:
                raise FilterError(f"{key}: must be under {MAX_SEARCH} characters, without NUL")
            forms = _param_forms(value)
            for form in forms:
                match |= Q(**{f"params__{name}": form})
            # A boolean is 1 in SQLite's text of the parameters and true in PostgreSQL's.
            exact.append(not any(isinstance(form, bool) for form in forms))
        # The search index narrows to the runs whose document holds `name=value` (or,
        # for a boolean or several values, `name=`), then the JSON test is exact.
        needle = f"{name}={values[0] or ''}" if len(values) == 1 and exact[0] else f"{name}="
        queryset = search_index.containing(queryset, needle).filter(match)
    return queryset


def _param_forms(value):
    forms = [value]
    with_type = {"true": True, "false": False}.get(value.lower())
    if with_type is None:
        try:
            with_type = json.loads(value)
        except ValueError:
            with_type = None
    if isinstance(with_type, bool | int | float) and with_type is not value:
        forms.append(with_type)
    return forms


def ordering_fields(value):
    """The columns an ordering parameter ("-duration") sorts by, tie-breakers included,
    each with a leading '-' when descending."""
    name = value.removeprefix("-")
    if name not in ORDERINGS:
        raise FilterError(f"ordering: unknown field {name!r}; use one of {', '.join(ORDERINGS)}")
    fields = ORDERINGS[name]
    if value.startswith("-"):
        fields = tuple(field[1:] if field.startswith("-") else "-" + field for field in fields)
    return fields


def ordering_value(params):
    return (params.get("ordering") or DEFAULT_ORDERING).strip()


def ordering(params):
    expressions = []
    for field_name in ordering_fields(ordering_value(params)):
        name = field_name.lstrip("-")
        if name not in NULLABLE:
            expressions.append(field_name)
            continue
        # Unknown values first ascending, last descending, on both databases (SQLite's
        # own order; PostgreSQL is told, and its index says the same).
        expressions.append(
            F(name).desc(nulls_last=True)
            if field_name.startswith("-")
            else F(name).asc(nulls_first=True)
        )
    return expressions


def _choices(params, name, allowed):
    """The comma-separated values of `name`, each one of `allowed` (else FilterError)."""
    chosen = _list(params, name)
    unknown = [value for value in chosen if value not in allowed]
    if unknown:
        raise FilterError(f"{name}: unknown value {unknown[0]!r}; use one of {', '.join(allowed)}")
    return chosen


def _list(params, name):
    values = params.getlist(name) if hasattr(params, "getlist") else [params.get(name) or ""]
    items = [item.strip() for value in values for item in (value or "").split(",")]
    return [item for item in items if item]


def _moment(params, name, end_of_day):
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is None:
                raise ValueError
            moment = datetime.combine(day, time.max if end_of_day else time.min)
    except ValueError:
        raise FilterError(
            f"{name}: {value[:40]!r} is not a date (2026-11-29) or a date and time "
            "(2026-11-29T14:30)"
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment
