"""What a valid schedule is: the one validator behind the API, the pages and the form's
check as you type. Every field's problem is found in one pass, so a person sees them all.

`from_text` takes parameter values as a form sends them (strings), like `execute` does
for the run form; the API sends JSON and gets exact type checks.
"""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tasks import access
from tasks.catalog import RequestInvalid, ScriptEntry, get_catalog
from tasks.models import MissedPolicy, OverlapPolicy, Schedule, TimetableKind
from tasks.schedules import timetables
from tasks.services import InvalidRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import User

EDITABLE = (
    "name",
    "script",
    "params",
    "kind",
    "cron",
    "interval_seconds",
    "run_at",
    "timezone",
    "overlap",
    "missed",
    "paused",
)
NEW: dict[str, Any] = {
    "name": "",
    "params": {},
    "cron": "",
    "interval_seconds": None,
    "run_at": None,
    "timezone": "UTC",
    "overlap": OverlapPolicy.SKIP,
    "missed": MissedPolicy.RUN_ONCE,
    "paused": False,
}
CHOICES = (("kind", TimetableKind), ("overlap", OverlapPolicy), ("missed", MissedPolicy))


def refusal(errors: dict[str, str]) -> InvalidRequest:
    """One InvalidRequest for every problem found: the message says them all."""
    if len(errors) == 1:
        return InvalidRequest(next(iter(errors.values())), errors)
    listed = "; ".join(f"{field}: {message}" for field, message in errors.items())
    return InvalidRequest(f"The schedule has {len(errors)} problems: {listed}", errors)


def clean(
    user: "User",
    data: dict[str, Any],
    instance: Schedule | None = None,
    *,
    from_text: bool = False,
) -> dict[str, Any]:
    """The fields of a schedule from `data` (merged over `instance`), validated: the
    script is one `user` may run, params pass the catalog, no secret is stored unless
    its entry says it may be, and the timetable can be used. Raises InvalidRequest
    naming every field at fault."""
    errors: dict[str, str] = {}
    for name in sorted(set(data) - set(EDITABLE)):
        errors[name] = f"Unknown field {name!r}."
    fields = {name: getattr(instance, name) for name in EDITABLE} if instance else dict(NEW)
    fields.update({name: value for name, value in data.items() if name in EDITABLE})
    fields["name"] = str(fields.get("name") or "").strip() or str(fields.get("script") or "")
    if len(fields["name"]) > 100:
        errors["name"] = "A name has at most 100 characters."
    entry = get_catalog().get(str(fields.get("script") or ""))
    if entry is None or not access.can_run(user, entry):
        errors["script"] = f"Unknown script {fields.get('script')!r}, or one you may not run."
    else:
        fields["params"] = _params(entry, fields.get("params"), errors, from_text)
    for name, choices in CHOICES:
        if fields.get(name) not in choices.values:
            errors[name] = f"{name} must be one of: {', '.join(choices.values)}."
    fields["run_at"] = _moment(fields.get("run_at"), errors)
    fields["interval_seconds"] = _seconds(fields.get("interval_seconds"), errors)
    fields["paused"] = bool(fields.get("paused"))
    if "kind" not in errors:
        found = timetables.problems(
            fields["kind"],
            cron=str(fields.get("cron") or ""),
            interval_seconds=fields["interval_seconds"],
            run_at=fields["run_at"],
            timezone=str(fields.get("timezone") or ""),
            now=timezone.now() if "run_at" in data or instance is None else None,
        )
        errors.update({field: message for field, message in found.items() if field not in errors})
    if errors:
        raise refusal(errors)
    return fields


def _params(
    entry: ScriptEntry, params: Any, errors: dict[str, str], from_text: bool
) -> dict[str, Any]:
    params = params or {}
    if not isinstance(params, dict):
        errors["params"] = "params must be an object of parameter names and values."
        return {}
    refused = [
        p.name for p in entry.params if p.type == "secret" and p.name in params and not p.storable
    ]
    for name in refused:
        errors[f"params.{name}"] = (
            f"A schedule cannot store the secret parameter {name!r}: its value is never kept "
            "(the script's catalog entry may mark it storable = true)."
        )
    try:
        cleaned, _ = entry.clean(params, [], from_text=from_text)
    except RequestInvalid as exc:
        for key, message in exc.errors.items():
            errors.setdefault(key, message)
        return params
    return cleaned


def _moment(value: Any, errors: dict[str, str]) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = value if isinstance(value, datetime) else parse_datetime(str(value))
    except ValueError:
        moment = None
    if moment is None:
        errors["run_at"] = f"{value!r} is not a date and time (ISO 8601)."
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)


def _seconds(value: Any, errors: dict[str, str]) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        errors["interval_seconds"] = f"{value!r} is not a whole number of seconds."
        return None
