"""Filter, search and order the run history from query parameters.

The API's task list and the history page read the same parameters, so a filtered page
in the browser and the same query against the API give the same runs:

    status=failed,cancelled  script=sample  user=alice  trigger=schedule,api
    created_after=2026-11-01  created_before=2026-11-30T12:00
    q=<search: id prefix, script, user, arguments, exception>  ordering=-created_at
"""

import json
import re
from datetime import datetime, time

from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

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


ORDERINGS = {
    "created_at": ("created_at",),
    "started_at": ("started_at",),
    "completed_at": ("completed_at",),
    "status": ("status", "-created_at"),
    "script": ("script", "-created_at"),
    "user": ("user_name", "-created_at"),
    "user_name": ("user_name", "-created_at"),
    "progress": ("progress", "-created_at"),
    "return_code": ("return_code", "-created_at"),
    "duration": ("duration",),
}
DEFAULT_ORDERING = "-created_at"
NULLABLE = {"started_at", "completed_at", "progress", "return_code", "duration"}
MAX_SEARCH = 200
_HEX = re.compile(r"^[0-9a-fA-F-]{4,36}$")
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
    search = (params.get("q") or params.get("search") or "").strip()
    if search:
        if len(search) > MAX_SEARCH:
            raise FilterError(f"q: the search text must be under {MAX_SEARCH} characters")
        match = Q(script__icontains=search) | Q(user_name__icontains=search)
        match |= Q(exception__icontains=search)
        for form in _json_forms(search):
            match |= Q(argv__icontains=form)
        if _HEX.match(search):
            match |= Q(id__istartswith=_uuid_prefix(search))
        queryset = queryset.filter(match)
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
        match = Q()
        for value in values:
            value = value or ""
            if "\x00" in value or len(value) > MAX_SEARCH:
                raise FilterError(f"{key}: must be under {MAX_SEARCH} characters, without NUL")
            for form in _param_forms(value):
                match |= Q(**{f"params__{name}": form})
        queryset = queryset.filter(match)
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


def _json_forms(text):
    """How `text` appears inside a JSON column's text, on every database.

    Quotes and backslashes are escaped there; SQLite keeps Django's ASCII-only JSON
    (`caf\\u00e9`), PostgreSQL's jsonb prints the character itself (`café`)."""
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    return {text, escaped, json.dumps(text)[1:-1]}


def _uuid_prefix(text):
    """The hex digits in the canonical 8-4-4-4-12 form, whatever hyphens were typed.

    PostgreSQL compares a uuid column's text with its hyphens; on SQLite Django removes
    the hyphens from both sides."""
    digits = text.replace("-", "")
    groups, start = [], 0
    for size in (8, 4, 4, 4, 12):
        if start >= len(digits):
            break
        groups.append(digits[start : start + size])
        start += size
    return "-".join(groups)


def ordering(params):
    value = (params.get("ordering") or DEFAULT_ORDERING).strip()
    name = value.removeprefix("-")
    if name not in ORDERINGS:
        raise FilterError(f"ordering: unknown field {name!r}; use one of {', '.join(ORDERINGS)}")
    fields = ORDERINGS[name]
    if value.startswith("-"):
        first = fields[0]
        fields = (first[1:] if first.startswith("-") else "-" + first, *fields[1:])
    expressions = []
    for field_name in fields:
        name = field_name.lstrip("-")
        if name not in NULLABLE:
            expressions.append(field_name)
            continue
        expression = F(name)
        # Unknown values last in both directions: SQLite and PostgreSQL disagree on where
        # NULL sorts unless told.
        expressions.append(
            expression.desc(nulls_last=True)
            if field_name.startswith("-")
            else expression.asc(nulls_last=True)
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
