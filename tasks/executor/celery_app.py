"""The Celery app for EXECUTOR_BACKEND=celery (executor_site.celery re-exports `app`, so
`celery -A executor_site worker` finds it).

Workers run the same supervisor as the thread backend (tasks.executor.celery) and share the
database with the web servers. Only the broker URL and the concurrency come from Django's
settings (CELERY_*); the options below are what the engine's guarantees rest on.

Celery imports this module while it parses its command line, before Django is set up:
it must not import models.
"""

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "executor_site.settings")

ENGINE_OPTIONS = {
    # A message is acknowledged when its run has ended, so a worker that dies before then
    # leaves it to the broker to hand to another worker (whose claim sees the row is no
    # longer pending: nothing runs twice). With one message per free slot, a busy worker
    # holds no waiting runs that an idle worker could take.
    "task_acks_late": True,
    "task_reject_on_worker_lost": True,
    "worker_prefetch_multiplier": 1,
    # The Task row is the result: no result backend, no result messages.
    "task_ignore_result": True,
    "result_backend": None,
    # Scripts run as child processes watched by a thread each, like the thread backend:
    # threads suit that I/O-bound watching, and a worker killed outright takes its
    # supervisors with it, so their heartbeats stop. Celery's thread pool, extended so
    # that a cold shutdown stops the runs (`--pool prefork` works too).
    "worker_pool": "tasks.executor.celery_pool:ThreadPool",
    # Catalog entries without a `queue` use "default", so that is a plain worker's queue.
    "task_default_queue": "default",
    # Task events (a few small messages per run) let Flower and `celery events` show the
    # runs as they happen, without `-E` on every worker.
    "worker_send_task_events": True,
    "task_send_sent_event": True,
    "task_serializer": "json",
    "accept_content": ["json"],
    # Publishing happens in the request that submits a run: give up quickly when the
    # broker is down (the run stays pending and the workers' housekeeping sends it later)
    # rather than keep the user waiting.
    "task_publish_retry_policy": {
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    },
    "broker_connection_retry_on_startup": True,
}

RUN_TASK = "executor.run"


def create_app(**options: Any) -> Celery:
    """A Celery app configured from Django's settings; `options` override them."""
    app = Celery(
        "executor_site",
        changes={**ENGINE_OPTIONS, **options},
        include=["tasks.executor.celery"],
        set_as_current=False,
    )
    app.config_from_object("django.conf:settings", namespace="CELERY")
    return app


app = create_app()
