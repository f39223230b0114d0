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
        if pk is None or not Task.claim(pk, worker):
            return None
    return Task.objects.get(pk=pk)


def claim(pk, worker):
    """Claim one given task. Returns (task or None, why not): "taken" when it is not
    pending any more (somebody ran or cancelled it), "full" when its script is at its
    concurrency limit and the caller should try again later."""
    limits = _limits()
    with transaction.atomic():
        _lock_claims()
        script = Task.objects.pending().filter(pk=pk).values_list("script", flat=True).first()
        if script is None:
            return None, "taken"
        if script in _scripts_at_limit({script: limits[script]} if script in limits else {}):
            return None, "full"
        if not Task.claim(pk, worker):
            return None, "taken"
    return Task.objects.get(pk=pk), None


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
