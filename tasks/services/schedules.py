"""Schedules as the ways in and the engine see them: who may create and change one, what
a valid one is, and the scheduler's tick that the engine's loops call (`install`).

A schedule runs its script as its owner: every firing goes through `execute`, so the
owner's access and the params are checked again each time; a refusal is a recorded skip.
"""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tasks import access
from tasks.catalog import RequestInvalid, get_catalog
from tasks.executor.housekeeping import add_round
from tasks.executor.supervisor import worker_name
from tasks.history import audit
from tasks.models import (
    Firing,
    MissedPolicy,
    OverlapPolicy,
    Schedule,
    Task,
    TimetableKind,
    Trigger,
)
from tasks.schedules import firing, timetables
from tasks.services import InvalidRequest, NotAllowed, ServiceError, UnknownScript, execute

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


def visible(user: "User") -> QuerySet[Schedule]:
    """The schedules `user` may see: staff see all, everybody else their own."""
    schedules = Schedule.objects.select_related("owner")
    if user.is_staff:
        return schedules
    return schedules.filter(owner=user)


def can_change(user: "User", schedule: Schedule) -> bool:
    return bool(user.is_authenticated and (user.is_staff or schedule.owner_id == user.pk))


def _refuse(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, {field: message})


def clean(user: "User", data: dict[str, Any], instance: Schedule | None = None) -> dict[str, Any]:
    """The fields of a schedule from `data` (merged over `instance`), validated: the
    script is one `user` may run, params pass the catalog, no secret is stored, and the
    timetable can be used. Raises InvalidRequest naming the field."""
    unknown = sorted(set(data) - set(EDITABLE))
    if unknown:
        raise _refuse(unknown[0], f"Unknown field {unknown[0]!r}.")
    fields = (
        {name: getattr(instance, name) for name in EDITABLE}
        if instance
        else {
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
    )
    fields.update(data)
    fields["name"] = str(fields.get("name") or "").strip() or str(fields.get("script") or "")
    if len(fields["name"]) > 100:
        raise _refuse("name", "A name has at most 100 characters.")
    catalog = get_catalog()
    entry = catalog.get(str(fields.get("script") or ""))
    if entry is None or not access.can_run(user, entry):
        raise _refuse("script", f"Unknown script {fields.get('script')!r}, or one you may not run.")
    params = fields.get("params") or {}
    if not isinstance(params, dict):
        raise _refuse("params", "params must be an object of parameter names and values.")
    secret = [p.name for p in entry.params if p.type == "secret" and p.name in params]
    if secret:
        raise _refuse(
            "params",
            f"A schedule cannot store secret parameters ({', '.join(secret)}): "
            "their values are never kept.",
        )
    try:
        fields["params"], _ = entry.clean(params, [])
    except RequestInvalid as exc:
        raise InvalidRequest(
            f"Invalid params for {entry.key!r}: {exc}", {"params": str(exc)}
        ) from None
    for name, choices in (
        ("kind", TimetableKind),
        ("overlap", OverlapPolicy),
        ("missed", MissedPolicy),
    ):
        if fields.get(name) not in choices.values:
            raise _refuse(name, f"{name} must be one of: {', '.join(choices.values)}.")
    fields["run_at"] = _moment(fields.get("run_at"))
    fields["interval_seconds"] = _seconds(fields.get("interval_seconds"))
    fields["paused"] = bool(fields.get("paused"))
    try:
        timetables.check(
            fields["kind"],
            cron=str(fields.get("cron") or ""),
            interval_seconds=fields["interval_seconds"],
            run_at=fields["run_at"],
            timezone=str(fields.get("timezone") or ""),
            now=timezone.now() if "run_at" in data or instance is None else None,
        )
    except timetables.TimetableError as exc:
        raise _refuse(exc.field, exc.message) from None
    return fields


def _moment(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    moment = value if isinstance(value, datetime) else parse_datetime(str(value))
    if moment is None:
        raise _refuse("run_at", f"{value!r} is not a date and time (ISO 8601).")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)


def _seconds(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _refuse("interval_seconds", f"{value!r} is not a whole number of seconds.") from None


def create(user: "User", data: dict[str, Any]) -> Schedule:
    fields = clean(user, data)
    schedule = Schedule(owner=user, **fields)
    schedule.next_fire_at = None if schedule.paused else timetables.first(schedule, timezone.now())
    with transaction.atomic():
        schedule.save()
        audit.record(
            user, audit.AuditAction.SCHEDULE_CREATE, script=schedule.script, schedule=schedule.pk
        )
    return schedule


def update(user: "User", schedule: Schedule, data: dict[str, Any]) -> Schedule:
    if not can_change(user, schedule):
        raise NotAllowed("Only the schedule's owner and staff may change it.")
    fields = clean(user, data, schedule)
    for name, value in fields.items():
        setattr(schedule, name, value)
    schedule.next_fire_at = None if schedule.paused else timetables.first(schedule, timezone.now())
    schedule.updated_at = timezone.now()
    with transaction.atomic():
        schedule.save()
        audit.record(
            user,
            audit.AuditAction.SCHEDULE_CHANGE,
            script=schedule.script,
            schedule=schedule.pk,
            fields=sorted(data),
        )
    return schedule


def pause(user: "User", schedule: Schedule) -> Schedule:
    if not can_change(user, schedule):
        raise NotAllowed("Only the schedule's owner and staff may pause it.")
    with transaction.atomic():
        if schedule.pause():
            audit.record(
                user, audit.AuditAction.SCHEDULE_PAUSE, script=schedule.script, schedule=schedule.pk
            )
    schedule.refresh_from_db()
    return schedule


def resume(user: "User", schedule: Schedule) -> Schedule:
    if not can_change(user, schedule):
        raise NotAllowed("Only the schedule's owner and staff may resume it.")
    with transaction.atomic():
        if schedule.resume(timetables.first(schedule, timezone.now())):
            audit.record(
                user,
                audit.AuditAction.SCHEDULE_RESUME,
                script=schedule.script,
                schedule=schedule.pk,
            )
    schedule.refresh_from_db()
    return schedule


def delete(user: "User", schedule: Schedule) -> None:
    if not can_change(user, schedule):
        raise NotAllowed("Only the schedule's owner and staff may delete it.")
    with transaction.atomic():
        audit.record(
            user,
            audit.AuditAction.SCHEDULE_DELETE,
            script=schedule.script,
            schedule=schedule.pk,
            name=schedule.name,
        )
        schedule.delete()


def run_now(user: "User", schedule: Schedule) -> Task:
    """Run the schedule's script now, as its owner, outside its timetable."""
    if not can_change(user, schedule):
        raise NotAllowed("Only the schedule's owner and staff may run it now.")
    with transaction.atomic():
        audit.record(
            user, audit.AuditAction.SCHEDULE_RUN_NOW, script=schedule.script, schedule=schedule.pk
        )
        return execute(
            schedule.owner,
            schedule.script,
            schedule.params,
            trigger=Trigger.SCHEDULE,
            schedule=schedule,
        )


def start_firing(schedule: Schedule) -> Task:
    """A firing's run, as the owner; a refusal of the seam becomes a recorded skip."""
    try:
        return execute(
            schedule.owner,
            schedule.script,
            schedule.params,
            trigger=Trigger.SCHEDULE,
            schedule=schedule,
        )
    except UnknownScript:
        raise firing.Refused(
            f"the owner {schedule.owner.get_username()} may no longer run {schedule.script!r}"
        ) from None
    except ServiceError as exc:
        raise firing.Refused(exc.message) from None


def fire_due(now: datetime | None = None) -> list[Firing]:
    """Fire what is due now (and the queued firings whose last run ended)."""
    return firing.tick(start_firing, now=now, worker=worker_name())


def tick() -> float:
    """The engine's scheduler round (unless EXECUTOR_SCHEDULER is off): fire what is due;
    return the seconds until the next is due."""
    if settings.EXECUTOR_SCHEDULER:
        fire_due()
    return firing.seconds_until_due()


def install() -> None:
    """Have this process's engine loops (thread pool, Celery housekeeping) tick."""
    add_round(tick)
