"""Which pending task runs next: oldest first, within each script's concurrency limit.

Every engine (the thread pool, Celery workers, `run_script`) claims through here, so a
task is started once however many processes look at the table.
"""

from django.db import connection, transaction
from django.db.models import Count

from tasks.catalog import get_catalog
from tasks.models import Task

# Claims take one lock so that "count the script's running tasks, then claim one more"
# cannot interleave between two processes. SQLite's IMMEDIATE transactions already
# serialise writers; PostgreSQL needs an explicit lock (an advisory one: no table to lock).
_CLAIM_LOCK = 0x45_58_45_43  # "EXEC"


# What a supervisor reads from its task; the rest of the row stays unloaded (a claim is
# on the path of every run, and loading and converting a whole row costs more than the
# UPDATE that claims it).
SUPERVISOR_FIELDS = (
    "id",
    "script",
    "script_args",
    "env",
    "timeout",
    "progress",
    "progress_message",
    "argv",
    "interpreter",
    "interpreter_version",
    "script_sha256",
    "sealed_secrets",
)


def claim_next(worker, queues=None):
    """Claim the oldest runnable pending task for `worker`; None when there is none."""
    limits = _limits()
    with transaction.atomic():
        _lock_claims()
        pending = Task.objects.pending()
        full = _scripts_at_limit(limits)
        if full:
            pending = pending.exclude(script__in=full)
        if queues is not None:
            pending = pending.filter(queue__in=queues)
        pk = pending.order_by("created_at").values_list("pk", flat=True).first()
        return None if pk is None else Task.claim(pk, worker, SUPERVISOR_FIELDS)


def claim(pk, worker):
    """Claim one given task. Returns (task or None, why not): "taken" when it is not
    pending any more (somebody ran or cancelled it), "full" when its script is at its
    concurrency limit and the caller should try again later."""
    limits = _limits()
    if not limits:
        # Nothing to count: the claim is one statement, atomic on its own (no lock, no
        # transaction around it; it is on every run's way to its spawn).
        task = Task.claim(pk, worker, SUPERVISOR_FIELDS)
        return (task, None) if task is not None else (None, "taken")
    with transaction.atomic():
        _lock_claims()
        task = Task.claim(pk, worker, SUPERVISOR_FIELDS)
        if task is None:
            return None, "taken"
        limit = limits.get(task.script)
        # Counted after the claim, which is in the count: over the limit undoes it.
        if limit is not None and Task.objects.running().filter(script=task.script).count() > limit:
            transaction.set_rollback(True)
            return None, "full"
    return task, None


def _limits():
    return {entry.key: entry.max_concurrent for entry in get_catalog() if entry.max_concurrent}


def _scripts_at_limit(limits):
    if not limits:
        return set()
    counts = (
        Task.objects.running()
        .filter(script__in=limits)
        .values("script")
        .annotate(running=Count("pk"))
        .values_list("script", "running")
    )
    return {script for script, running in counts if running >= limits[script]}


def _lock_claims():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CLAIM_LOCK])
