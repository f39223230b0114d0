"""The engine behind Celery: workers on any number of machines run the same supervisor.

The web process only sends task ids to the broker (`CeleryBackend.submit`). A worker that
receives one claims the row by compare-and-set and supervises the run, writing status,
heartbeats and output to the shared database, where the pages and the API read them. The
row, not the message, is the truth: a message for a task that is no longer pending is
dropped, so a redelivered or duplicated message never starts a run twice.

Each worker process also keeps house: it ends runs whose worker died (stale heartbeat),
sends again the ids of pending tasks whose message never arrived, and does its share of
the daily retention pass.
"""

import logging
import random
import threading
from datetime import timedelta
from functools import partial

from celery import shared_task
from celery.signals import after_setup_logger, worker_ready, worker_shutdown
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.db.models import Q
from django.utils import timezone

from executor_site.celery import RUN_TASK, create_app
from tasks.catalog import get_catalog
from tasks.executor.celery_pool import register_job, unregister_job
from tasks.executor.recovery import recover_stale
from tasks.executor.retention import HOUSEKEEPING_BUDGET
from tasks.executor.retention import run_due as run_retention_due
from tasks.executor.scheduling import claim
from tasks.executor.supervisor import Supervisor, worker_name
from tasks.models import EndReason, Task

logger = logging.getLogger(__name__)

# A task whose script is at its `max_concurrent` limit (or whose claim met a database
# error) is retried after a growing, jittered delay: short enough that it starts soon
# after a slot frees, long enough that a queue of waiting runs does not spin.
RETRY_FIRST = 0.5
RETRY_LONGEST = 10.0
# A new task whose id could not be sent at submission is sent by housekeeping after this
# many housekeeping rounds (the grace keeps it from racing the submission's own send).
UNSENT_GRACE_ROUNDS = 2
REQUEUE_BATCH = 500


@shared_task(
    name=RUN_TASK,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=None,
)
def run(self, task_id):
    """Claim the task and supervise its run to the end, in this worker."""
    try:
        task, why = claim(task_id, worker_name())
    except DatabaseError as exc:
        # The database is unreachable: keep the id (a new message) rather than lose it.
        close_old_connections()
        raise self.retry(countdown=_backoff(self.request.retries), exc=exc) from None
    if why == "full":
        raise self.retry(countdown=_backoff(self.request.retries))
    if task is None:
        logger.debug("task %s is no longer pending; message dropped", task_id)
        return
    supervisor = Supervisor(task)
    # A cold shutdown of the worker interrupts the run (see celery_pool).
    job = register_job(partial(supervisor.cancel, EndReason.INTERRUPTED))
    try:
        supervisor.run()
    finally:
        unregister_job(job)
    entry = get_catalog().get(task.script)
    if entry is not None and entry.max_concurrent:
        # A slot of a limited script has just freed: start the oldest run waiting for it
        # now instead of when its retry comes round.
        send_next_waiting(self.app, task.script)


def _backoff(retries):
    delay = min(RETRY_LONGEST, RETRY_FIRST * 2**retries)
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not a secret)


def send(app, task_id, queue):
    """Publish a task id on its queue; False (logged) when the broker cannot be reached."""
    try:
        app.send_task(RUN_TASK, args=[str(task_id)], queue=queue)
    except Exception as exc:
        logger.warning(
            "task %s: could not reach the broker (%s: %s); it stays pending and will be "
            "sent again by a worker's housekeeping",
            task_id,
            type(exc).__name__,
            exc,
        )
        return False
    return True


def _send_once(app, task_id, queue, last_sent, now=None):
    """Send a pending task's id unless another process has just done so.

    The compare-and-set on `enqueued_at` lets one housekeeper (of however many workers
    look at the same moment) send it. Returns "sent", "skipped" (somebody else sent or
    started it) or "unreachable" (the broker is down; enqueued_at is put back)."""
    now = now or timezone.now()
    pending = Task.objects.pending().filter(pk=task_id)
    if last_sent is None:
        won = pending.filter(enqueued_at__isnull=True).update(enqueued_at=now)
    else:
        won = pending.filter(enqueued_at=last_sent).update(enqueued_at=now)
    if not won:
        return "skipped"
    if not send(app, task_id, queue):
        Task.objects.filter(pk=task_id, enqueued_at=now).update(enqueued_at=last_sent)
        return "unreachable"
    return "sent"


def send_lost(app, now=None):
    """Send again the pending tasks whose message seems lost; return how many were sent.

    Never sent (the broker was down at submission): after two rounds. Sent but still
    pending after EXECUTOR_REQUEUE_AFTER: again, in case the broker lost the message. A
    duplicate is harmless: whichever message comes second finds the task taken."""
    now = now or timezone.now()
    grace = timedelta(seconds=UNSENT_GRACE_ROUNDS * settings.EXECUTOR_HEARTBEAT_INTERVAL)
    unsent = Q(enqueued_at__isnull=True, created_at__lt=now - grace)
    stale = Q(enqueued_at__lt=now - timedelta(seconds=settings.EXECUTOR_REQUEUE_AFTER))
    lost = (
        Task.objects.pending()
        .filter(unsent | stale)
        .order_by("created_at")
        .values_list("pk", "queue", "enqueued_at")[:REQUEUE_BATCH]
    )
    sent = 0
    for task_id, queue, last_sent in lost:
        outcome = _send_once(app, task_id, queue, last_sent, now)
        if outcome == "unreachable":
            break  # the rest at the next round
        sent += outcome == "sent"
    if sent:
        logger.info("sent %d pending task(s) again", sent)
    return sent


def send_next_waiting(app, script):
    """Send the oldest pending run of `script` (a limited script whose slot freed)."""
    waiting = (
        Task.objects.pending()
        .filter(script=script)
        .order_by("created_at")
        .values_list("pk", "queue", "enqueued_at")
        .first()
    )
    if waiting is not None:
        _send_once(app, *waiting)


class CeleryBackend:
    """The web side of the Celery engine: it only publishes task ids.

    Cancelling needs nothing here: services.cancel flags the row, and the supervisor on
    whichever machine runs the task sees the flag within a quarter of a second.
    """

    def __init__(self):
        # An app of its own, built from the settings of the moment: the backend is rebuilt
        # when they change (tests switch brokers), and its connections go with it.
        self.app = create_app(broker_url=settings.CELERY_BROKER_URL)

    def start(self):
        pass

    def submit(self, task_id):
        queue = Task.objects.filter(pk=task_id).values_list("queue", flat=True).first()
        if queue is None:
            return
        # enqueued_at is written only once the broker has the id: a run whose send failed
        # is found by housekeeping (enqueued_at empty) and sent when the broker is back.
        if send(self.app, task_id, queue):
            Task.objects.pending().filter(pk=task_id).update(enqueued_at=timezone.now())

    def cancel(self, task_id):
        return False

    def status(self):
        return {"backend": "celery", "started": True, "broker": self._broker_status()}

    def shutdown(self):
        # Broker connections live in kombu's pool for this URL, shared by the process.
        self.app.close()

    def _broker_status(self):
        try:
            with self.app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        except Exception as exc:
            return f"unavailable: {type(exc).__name__}"
        return "ok"


class Housekeeper:
    """A thread in each worker process: ends runs whose worker died, sends lost ids,
    purges old runs once a day (EXECUTOR_RETENTION_DAYS)."""

    def __init__(self, app, interval=None):
        self.app = app
        self.interval = interval or settings.EXECUTOR_HEARTBEAT_INTERVAL
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="executor-housekeeping", daemon=True
        )

    def start(self):
        self._thread.start()

    def stop(self, timeout=5.0):
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run_once(self):
        recover_stale()
        send_lost(self.app)
        # A little of the day's retention pass, if it is this worker's (retention.py).
        run_retention_due(worker_name(), budget=HOUSEKEEPING_BUDGET)

    def _loop(self):
        # A first round at once: a worker restarted after a crash ends its own old runs.
        while True:
            try:
                self.run_once()
            except Exception:
                logger.exception("housekeeping failed; will retry")
            finally:
                # Never hold a connection while idle: a prefork pool forks children from
                # this process, and a child must not inherit a live connection.
                connection.close()
            if self._stopping.wait(self.interval):
                return


_housekeeper = None


@after_setup_logger.connect
def _log_through_celery(**kwargs):
    # In a worker, Celery's root handler writes the log (to --logfile if given): the
    # `tasks` logger's own console handler would print every line a second time.
    logging.getLogger("tasks").handlers.clear()


@worker_ready.connect
def _start_housekeeping(sender, **kwargs):
    global _housekeeper
    if _housekeeper is None:
        _housekeeper = Housekeeper(sender.app)
        _housekeeper.start()


@worker_shutdown.connect
def _stop_housekeeping(**kwargs):
    global _housekeeper
    if _housekeeper is not None:
        _housekeeper.stop()
        _housekeeper = None
