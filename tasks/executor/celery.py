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
from functools import partial

from celery import shared_task
from celery.signals import after_setup_logger, worker_ready, worker_shutdown, worker_shutting_down
from django.conf import settings
from django.db import DatabaseError, close_old_connections

from tasks.catalog import get_catalog
from tasks.executor.celery_app import RUN_TASK, create_app
from tasks.executor.celery_pool import register_job, stop_all, unregister_job
from tasks.executor.housekeeping import Housekeeper, send_lost
from tasks.executor.messages import send, send_next_waiting
from tasks.executor.notifier import Notifier
from tasks.executor.scheduling import claim
from tasks.executor.supervisor import Supervisor, worker_name
from tasks.models import EndReason, Task

logger = logging.getLogger(__name__)

# Importable from here as before: the web side and the tests use them.
__all__ = ["CeleryBackend", "Housekeeper", "run", "send", "send_lost", "send_next_waiting"]

# A task whose script is at its `max_concurrent` limit (or whose claim met a database
# error) is retried after a growing, jittered delay: short enough that it starts soon
# after a slot frees, long enough that a queue of waiting runs does not spin.
RETRY_FIRST = 0.5
RETRY_LONGEST = 10.0


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
    # A shutdown of the worker, warm or cold, interrupts the run (see celery_pool).
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
            Task.objects.mark_enqueued(task_id)

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


_housekeeper = None
# Sends notifications in each worker process (started with the housekeeper).
_notifier = None


@after_setup_logger.connect
def _log_through_celery(**kwargs):
    # In a worker, Celery's root handler writes the log (to --logfile if given): the
    # `tasks` logger's own console handler would print every line a second time.
    logging.getLogger("tasks").handlers.clear()


@worker_ready.connect
def _start_housekeeping(sender, **kwargs):
    global _housekeeper, _notifier
    if _housekeeper is None:
        _housekeeper = Housekeeper(sender.app)
        _housekeeper.start()
        _notifier = Notifier()
        _notifier.start()


@worker_shutdown.connect
def _stop_housekeeping(**kwargs):
    global _housekeeper, _notifier
    if _housekeeper is not None:
        _housekeeper.stop()
        _housekeeper = None
    if _notifier is not None:
        _notifier.stop()
        _notifier = None


@worker_shutting_down.connect
def _interrupt_runs(sig=None, how=None, **kwargs):
    # A warm shutdown would wait for every run to end on its own; the worker was told to
    # stop, so its runs are stopped (SIGTERM to each tree, the grace, SIGKILL) and
    # recorded as interrupted. Their messages are acknowledged as the runs end; runs
    # still pending stay pending, their messages go back to the broker.
    stopped = stop_all()
    if stopped:
        logger.warning("worker stopping (%s): interrupting %d run(s)", sig, stopped)
