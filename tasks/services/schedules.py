"""Schedules as the ways in and the engine see them: who may create and change one, what
a valid one is, and the scheduler's tick that the engine's loops call (`install`).

A schedule runs its script as its owner: every firing goes through `execute`, so the
owner's access and the params are checked again each time; a refusal is a recorded skip.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tasks import secret_params
from tasks.catalog import get_catalog
from tasks.executor.housekeeping import add_round
from tasks.executor.supervisor import worker_name
from tasks.history import audit
from tasks.models import Firing, Schedule, Task, Trigger
from tasks.schedules import firing, timetables
from tasks.services import (
    InvalidRequest,
    NotAllowed,
    ServiceError,
    UnknownScript,
    execute,
    execute_many,
)
from tasks.services.schedule_rules import EDITABLE, clean

__all__ = ["EDITABLE", "clean"]

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def visible(user: "User") -> QuerySet[Schedule]:
    """The schedules `user` may see: staff see all, everybody else their own."""
    schedules = Schedule.objects.select_related("owner")
    if user.is_staff:
        return schedules
    return schedules.filter(owner=user)


def can_change(user: "User", schedule: Schedule) -> bool:
    return bool(user.is_authenticated and (user.is_staff or schedule.owner_id == user.pk))


def _with_secrets(schedule: Schedule, data: dict[str, Any]) -> dict[str, Any]:
    """`data` for an update, its storable secrets filled from the stored seal where it
    leaves them out (a form never shows a secret back, so an empty one means "keep").
    A change of script keeps none: they were given to the other script."""
    if data.get("script", schedule.script) != schedule.script:
        return data
    stored = secret_params.unseal_values(schedule.sealed_secrets)
    if not stored:
        return data
    params = data.get("params", schedule.params)
    if not isinstance(params, dict):
        return data
    params = dict(params)
    for name, value in stored.items():
        if params.get(name) in (None, "", secret_params.MASK):
            params[name] = value
    return {**data, "params": params}


def _seal(schedule: Schedule) -> None:
    """Keep the storable secrets among `schedule.params` sealed, and only their mask."""
    entry = get_catalog().get(schedule.script)
    secrets = entry.secret_values(schedule.params) if entry else []
    if entry is None or not secrets:
        schedule.sealed_secrets = ""
        return
    values = {
        p.name: schedule.params[p.name]
        for p in entry.params
        if p.type == "secret" and schedule.params.get(p.name)
    }
    schedule.sealed_secrets = secret_params.seal_values(values)
    schedule.params = entry.masked(schedule.params, secret_params.MASK)


def stored_secrets(schedule: Schedule) -> set[str]:
    """The names of the secrets kept (sealed) for `schedule`'s firings."""
    try:
        return set(secret_params.unseal_values(schedule.sealed_secrets))
    except secret_params.SealBroken:
        return set()


def run_params(schedule: Schedule) -> dict[str, Any]:
    """The parameters a firing runs with: the stored ones, secrets unsealed."""
    return {**schedule.params, **secret_params.unseal_values(schedule.sealed_secrets)}


def _cleaned(
    user: "User", data: dict[str, Any], instance: Schedule | None, from_text: bool
) -> dict[str, Any]:
    if instance is None:
        return clean(user, data, from_text=from_text)
    try:
        filled = _with_secrets(instance, data)
    except secret_params.SealBroken as exc:
        raise InvalidRequest(str(exc), {"params": str(exc)}) from None
    return clean(user, filled, instance, from_text=from_text)


def preview(
    user: "User",
    data: dict[str, Any],
    instance: Schedule | None = None,
    *,
    from_text: bool = False,
) -> Schedule:
    """The schedule that `data` would make of `instance` (or a new one), unsaved and
    validated exactly as create and update would: for a form's check as you type."""
    fields = _cleaned(user, data, instance, from_text)
    fields.pop("paused")  # the next firings are shown as if it ran
    return Schedule(owner=user, **fields)


def create(user: "User", data: dict[str, Any], *, from_text: bool = False) -> Schedule:
    fields = clean(user, data, from_text=from_text)
    schedule = Schedule(owner=user, **fields)
    _seal(schedule)
    schedule.next_fire_at = None if schedule.paused else timetables.first(schedule, timezone.now())
    with transaction.atomic():
        schedule.save()
        audit.record(
            user, audit.AuditAction.SCHEDULE_CREATE, script=schedule.script, schedule=schedule.pk
        )
    return schedule


def update(
    user: "User", schedule: Schedule, data: dict[str, Any], *, from_text: bool = False
) -> Schedule:
    if not can_change(user, schedule):
        raise NotAllowed("Only the schedule's owner and staff may change it.")
    fields = _cleaned(user, data, schedule, from_text)
    before = _comparable(schedule)
    script_was = schedule.script
    for name, value in fields.items():
        setattr(schedule, name, value)
    _seal(schedule)
    after = _comparable(schedule)
    schedule.next_fire_at = None if schedule.paused else timetables.first(schedule, timezone.now())
    schedule.updated_at = timezone.now()
    details: dict[str, Any] = {"fields": sorted(n for n in after if after[n] != before[n])}
    if schedule.script != script_was:
        details["script_was"] = script_was
    with transaction.atomic():
        schedule.save()
        audit.record(
            user,
            audit.AuditAction.SCHEDULE_CHANGE,
            script=schedule.script,
            schedule=schedule.pk,
            **details,
        )
    return schedule


def _comparable(schedule: Schedule) -> dict[str, Any]:
    """The editable fields as a change compares them: params with their secrets' values
    (the seal differs each time it is made, the values do not). Never recorded."""
    values = {name: getattr(schedule, name) for name in EDITABLE}
    try:
        values["params"] = run_params(schedule)
    except secret_params.SealBroken:
        values["params"] = {**schedule.params, "": schedule.sealed_secrets}
    return values


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
            run_params(schedule),
            trigger=Trigger.SCHEDULE,
            schedule=schedule,
        )


def start_firing(schedule: Schedule) -> Task:
    """A firing's run, as the owner; a refusal of the seam becomes a recorded skip."""
    try:
        return execute(
            schedule.owner,
            schedule.script,
            run_params(schedule),
            trigger=Trigger.SCHEDULE,
            schedule=schedule,
        )
    except (ServiceError, secret_params.SealBroken) as exc:
        raise _refused(schedule, exc) from None


def start_firings(due: Sequence[Schedule]) -> list[Task | firing.Refused]:
    """The runs of many firings at once (`execute_many`): each schedule's Task, or the
    Refused that `start_firing` would have raised for it."""
    requests = []
    broken: dict[int, firing.Refused] = {}
    for schedule in due:
        try:
            params = run_params(schedule)
        except secret_params.SealBroken as exc:
            broken[schedule.pk] = _refused(schedule, exc)
            continue
        requests.append((schedule.owner, schedule.script, params, schedule))
    started = iter(execute_many(requests, trigger=Trigger.SCHEDULE))
    results: list[Task | firing.Refused] = []
    for schedule in due:
        result = broken.get(schedule.pk) or next(started)
        results.append(
            result if isinstance(result, Task | firing.Refused) else _refused(schedule, result)
        )
    return results


def _refused(schedule: Schedule, exc: Exception) -> firing.Refused:
    if isinstance(exc, UnknownScript):
        return firing.Refused(
            f"the owner {schedule.owner.get_username()} may no longer run {schedule.script!r}"
        )
    if isinstance(exc, ServiceError):
        return firing.Refused(exc.message)
    return firing.Refused(str(exc))


def fire_due(now: datetime | None = None) -> list[Firing]:
    """Fire what is due now (and the queued firings whose last run ended)."""
    return firing.tick(start_firing, start_many=start_firings, now=now, worker=worker_name())


def tick() -> float:
    """The engine's scheduler round (unless EXECUTOR_SCHEDULER is off): fire what is due;
    return the seconds until the next is due."""
    if settings.EXECUTOR_SCHEDULER:
        fire_due()
    return firing.seconds_until_due()


def install() -> None:
    """Have this process's engine loops (thread pool, Celery housekeeping) tick."""
    add_round(tick)
