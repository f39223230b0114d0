"""The one seam between the ways in (pages, API, admin, commands) and the engine.

Each function checks what the caller may do, writes rows, and hands the engine a task id
once the transaction has committed, so a worker never looks for a row it cannot see yet.
"""

import logging
import uuid
from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tasks import access, secret_params
from tasks.catalog import RequestInvalid, get_catalog, what_ran
from tasks.executor.backends import Backend, get_backend
from tasks.history import audit, filters, purging
from tasks.models import Task, Trigger
from tasks.services import uploads

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from tasks.models import Schedule

logger = logging.getLogger(__name__)


class ServiceError(Exception):
    """A request the service refuses; `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message, errors=None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class CatalogUnavailable(ServiceError):
    status = 503


class UnknownScript(ServiceError):
    pass


class InvalidRequest(ServiceError):
    pass


class QueueFull(ServiceError):
    status = 503


class NotAllowed(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class TooLarge(ServiceError):
    status = 413


def execute(
    user: "User",
    script: str,
    params: dict[str, Any] | None = None,
    args: list[str] | None = None,
    *,
    rerun_of: Task | None = None,
    from_text: bool = False,
    backend: Backend | None = None,
    trigger: str | None = None,
    files: dict[str, list[Any]] | None = None,
    schedule: "Schedule | None" = None,
) -> Task:
    """Validate a run request against the catalog and submit it; return the Task.

    `backend` overrides EXECUTOR_BACKEND for this run: `run_script` runs it inline.
    `trigger` says what started it (Trigger: a re-run by default when `rerun_of` is given,
    else a run by hand). `files` are the uploads for `file` parameters (name -> files); a
    re-run without them reuses the original run's. `schedule` is the schedule that fired
    it, if one did.
    """
    entry = _runnable(get_catalog(), user, script)
    task, sent, copies = _prepared(
        entry,
        user,
        params,
        args,
        rerun_of=rerun_of,
        from_text=from_text,
        trigger=trigger,
        files=files,
        schedule=schedule,
    )
    _check_room(Task.objects.pending().count())
    with transaction.atomic():
        # The trail first, the run second: both commit together, and the run's row is
        # created (created_at) right before it is handed to the engine.
        if rerun_of is None:
            audit.record(user, audit.AuditAction.RUN, task_id=task.pk, script=entry.key)
        else:
            audit.record(
                user,
                audit.AuditAction.RERUN,
                task_id=task.pk,
                script=entry.key,
                original=str(rerun_of.pk),
            )
        task.created_at = timezone.now()
        task.save(force_insert=True)
        uploads.store(task.pk, sent)
        uploads.store_copies(task.pk, copies)
        transaction.on_commit(partial((backend or get_backend()).submit, task.pk))
    return task


def execute_many(
    requests: Sequence[tuple["User", str, dict[str, Any], "Schedule | None"]],
    *,
    trigger: str,
    backend: Backend | None = None,
) -> list[Task | ServiceError]:
    """`execute` for many runs at once (the scheduler's due firings): each request
    (user, script, params, schedule) gets its Task, or the ServiceError `execute` would
    have raised for it. The catalog is read and the waiting runs counted once, and the
    audit events and run rows are written with one INSERT each, committed together."""
    catalog = get_catalog()
    waiting = Task.objects.pending().count()
    results: list[Task | ServiceError] = []
    for user, script, params, schedule in requests:
        try:
            entry = _runnable(catalog, user, script)
            task, _, _ = _prepared(entry, user, params, None, trigger=trigger, schedule=schedule)
            _check_room(waiting)
        except ServiceError as exc:
            results.append(exc)
            continue
        waiting += 1
        results.append(task)
    tasks = [task for task in results if isinstance(task, Task)]
    if not tasks:
        return results
    with transaction.atomic():
        audit.record_many(
            audit.event(task.user, audit.AuditAction.RUN, task_id=task.pk, script=task.script)
            for task in tasks
        )
        created = timezone.now()
        for task in tasks:
            task.created_at = created
        Task.objects.bulk_create(tasks)
        transaction.on_commit(partial(_submit_all, backend or get_backend(), [t.pk for t in tasks]))
    return results


def _submit_all(backend: Backend, task_ids: list[uuid.UUID]) -> None:
    for task_id in task_ids:
        backend.submit(task_id)


def _runnable(catalog: Any, user: "User", script: str) -> Any:
    """The catalog entry `script` if `user` may run it; else the refusal."""
    if catalog.load_error:
        raise CatalogUnavailable(
            f"The script catalog cannot be loaded ({catalog.load_error}). "
            "An administrator can see the details with `manage.py check`."
        )
    entry = catalog.get(script)
    if entry is None or not access.can_run(user, entry):
        available = ", ".join(sorted(entry.key for entry in access.runnable(user, catalog)))
        raise UnknownScript(
            f"Unknown script {script!r}. Scripts you can run: {available or 'none'}.",
            {"script_type": "unknown script"},
        )
    return entry


def _check_room(waiting: int) -> None:
    limit = settings.EXECUTOR_MAX_PENDING
    if waiting >= limit:
        raise QueueFull(f"{limit} runs are already waiting to start; try again later.")


def _prepared(
    entry: Any,
    user: "User",
    params: dict[str, Any] | None,
    args: list[str] | None,
    *,
    rerun_of: Task | None = None,
    from_text: bool = False,
    trigger: str | None = None,
    files: dict[str, list[Any]] | None = None,
    schedule: "Schedule | None" = None,
) -> tuple[Task, list[Any], list[Any]]:
    """The run's row, unsaved, from a request checked against `entry` (secrets sealed),
    with the uploads and copies to store with it."""
    try:
        params, sent, copies, errors = uploads.file_values(entry, params, files, rerun_of)
        params, args = entry.clean(params, args, from_text=from_text)
    except uploads.UploadTooLarge as exc:
        raise TooLarge(str(exc), {"params": str(exc)}) from None
    except RequestInvalid as exc:
        # A file that was refused reads better than the "is required" it leads to.
        raise _invalid(entry, {**exc.errors, **errors}) from None
    if errors:
        raise _invalid(entry, errors)
    script_args, env = entry.command(params, args)
    sealed = ""
    secrets = entry.secret_values(params)
    if secrets:
        # The row keeps only masked values; the real ones wait sealed for the worker.
        sealed = secret_params.seal(script_args, env, secrets)
        params = entry.masked(params, secret_params.MASK)
        script_args, env = entry.command(params, args)
    params = uploads.shown(entry, params, sent, copies)
    task = Task(
        id=uuid.uuid4(),
        script=entry.key,
        script_path=entry.relative_path,
        **what_ran(entry, script_args),
        script_args=script_args,
        args=args,
        params=params,
        env=env,
        timeout=entry.timeout,
        queue=entry.queue,
        user=user,
        user_name=user.get_username(),
        rerun_of=rerun_of,
        trigger=trigger or (Trigger.RERUN if rerun_of is not None else Trigger.MANUAL),
        sealed_secrets=sealed,
        artifact_bytes=sum(item.file.size for item in sent) + sum(c.size for c in copies),
        schedule=schedule,
    )
    return task, sent, copies


def _invalid(entry: Any, errors: dict[str, str]) -> InvalidRequest:
    return InvalidRequest(f"Invalid request for {entry.key!r}: {RequestInvalid(errors)}", errors)


def cancel(user: "User", task: Task, *, backend: Backend | None = None) -> Task:
    """Stop a pending or running task. Returns the task as it is now.

    `backend` is told besides the row (the configured one by default): `run_script`
    passes its inline runner, so the run it supervises stops at once."""
    if not access.can_manage(user, task):
        raise NotAllowed("You can only cancel your own runs.")
    if task.is_finished:
        raise Conflict(f"This run has already ended ({task.status}); there is nothing to cancel.")
    with transaction.atomic():
        if task.request_cancel():
            audit.record(user, audit.AuditAction.CANCEL, task=task, status=task.status)
        # The row's flag reaches any worker; a supervisor in this process hears at once.
        transaction.on_commit(partial((backend or get_backend()).cancel, task.pk))
    task.refresh_from_db()
    return task


def set_keep(user: "User", task: Task, keep: bool) -> Task:
    """Pin a run so that no purge (by hand or by the retention policy) takes it, or unpin
    it. Whoever may cancel and re-run a run may pin it."""
    if not access.can_manage(user, task):
        raise NotAllowed("You can only pin your own runs.")
    task.set_keep(keep)
    task.refresh_from_db(fields=["keep"])
    return task


def rerun(user: "User", task: Task) -> tuple[Task, list[str]]:
    """Run the task's script again with the same parameters and arguments.

    Returns (new task, warnings): the warnings say when the script file or the
    interpreter has changed since the original run.
    """
    if not access.can_manage(user, task):
        raise NotAllowed("You can only re-run your own runs.")
    entry = get_catalog().get(task.script)
    hidden = [
        param.label
        for param in (entry.params if entry else ())
        if param.type == "secret" and param.name in task.params
    ]
    if hidden:
        raise InvalidRequest(
            f"This run had secret parameters ({', '.join(hidden)}), and their values are not "
            "kept after a run starts: start a new run and enter them again.",
            {"params": "secret values are not kept"},
        )
    new = execute(user, task.script, task.params, task.args, rerun_of=task)
    warnings = []
    if task.script_sha256 and new.script_sha256 != task.script_sha256:
        warnings.append(
            f"The script {task.script_path} has changed since the original run "
            f"(sha256 {task.script_sha256[:12]}… then, {new.script_sha256[:12]}… now)."
        )
    if task.interpreter_version and new.interpreter_version != task.interpreter_version:
        warnings.append(
            f"The interpreter has changed since the original run "
            f"({task.interpreter_version} then, {new.interpreter_version} now)."
        )
    return new, warnings


def scripts_for(user):
    """The catalog entries this user may run, and the catalog's load error if any."""
    catalog = get_catalog()
    return access.runnable(user, catalog), catalog.load_error


def purge(user, selection, *, dry_run=False, deadline=None, **batching):
    """Delete finished runs with their logs, in short batches; return a PurgeResult.

    `selection` is a Task queryset, or a mapping of the history filters the API's task
    list takes (`status`, `script`, `user`, `created_before`, ...). Pending and running
    runs in it are never deleted; `kept_active` counts them. `user` is None for the
    system itself (`manage.py purge_tasks`, the daily retention pass).
    """
    if isinstance(selection, Mapping):
        try:
            tasks = filters.apply(Task.objects.all(), selection)
        except filters.FilterError as exc:
            raise InvalidRequest(f"Invalid purge filter: {exc}") from None
    elif isinstance(selection, QuerySet) and selection.model is Task:
        tasks = selection
    else:
        raise TypeError("selection must be a Task queryset or a mapping of history filters")
    if user is not None:
        if not access.can_purge(user):
            raise NotAllowed("You are not allowed to purge runs.")
        if not access.manages_all_runs(user) and tasks.exclude(user=user).exists():
            raise NotAllowed(
                "You can only purge your own runs, and the selection includes other users' runs."
            )
    if dry_run:
        return purging.count(tasks)
    return purging.purge(user, tasks, deadline=deadline, **batching)
