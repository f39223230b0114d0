"""Filter, search and order the run history from query parameters.

The API's task list and the history page read the same parameters, so a filtered page
in the browser and the same query against the API give the same runs:

    status=failed,cancelled  script=sample  user=alice
    created_after=2026-11-01  created_before=2026-11-30T12:00
    q=<search: id prefix, script, user, arguments, exception>  ordering=-created_at
"""

import re
from datetime import datetime, time

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from tasks.models import Status

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
MAX_SEARCH = 200
_HEX = re.compile(r"^[0-9a-fA-F-]{4,36}$")


class FilterError(ValueError):
    """A filter value that cannot be understood; the message says which and why."""


def apply(queryset, params):
    """Return the queryset filtered and ordered by `params` (a QueryDict or dict)."""
    for name in ("status", "script", "user", "created_after", "created_before", "ordering"):
        values = params.getlist(name) if hasattr(params, "getlist") else [params.get(name)]
        if any("\x00" in (value or "") for value in values):
            # PostgreSQL cannot hold NUL in a text value: refuse it here, on every database.
            raise FilterError(f"{name}: must not contain NUL characters")
    statuses = _list(params, "status")
    if statuses:
        unknown = [status for status in statuses if status not in Status.values]
        if unknown:
            raise FilterError(
                f"status: unknown value {unknown[0]!r}; use one of {', '.join(Status.values)}"
            )
        queryset = queryset.filter(status__in=statuses)
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
    search = (params.get("q") or params.get("search") or "").strip()
    if search:
        if len(search) > MAX_SEARCH or "\x00" in search:
            raise FilterError(f"q: the search text must be under {MAX_SEARCH} characters")
        match = (
            Q(script__icontains=search)
            | Q(user_name__icontains=search)
            | Q(argv__icontains=search)
            | Q(exception__icontains=search)
        )
        if _HEX.match(search):
            match |= Q(id__istartswith=search.replace("-", ""))
        queryset = queryset.filter(match)
    return queryset.order_by(*ordering(params))


def ordering(params):
    value = (params.get("ordering") or DEFAULT_ORDERING).strip()
    name = value.removeprefix("-")
    if name not in ORDERINGS:
        raise FilterError(f"ordering: unknown field {name!r}; use one of {', '.join(ORDERINGS)}")
    fields = ORDERINGS[name]
    if value.startswith("-"):
        first = fields[0]
        fields = (first[1:] if first.startswith("-") else "-" + first, *fields[1:])
    return fields


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
