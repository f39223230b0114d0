"""When and where runs happen on one machine: a bounded pool of supervisor threads.

Workers claim pending tasks from the table (oldest first, per-script limits honoured), so
runs submitted by another process, or left pending by a restart, are picked up too. A
housekeeping thread ends runs whose worker died and looks for work from elsewhere.
"""

import atexit
import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection

from tasks.executor.recovery import recover_stale
from tasks.executor.scheduling import claim_next
from tasks.executor.supervisor import Supervisor, worker_name
from tasks.models import EndReason, Task
from tasks.retention import run_due as run_retention_due

# Seconds of purging per housekeeping tick when a retention pass is due: the purge goes
# a little at a time so that recovery and wake-ups keep their pace.
RETENTION_BUDGET = 0.5

logger = logging.getLogger(__name__)


class ThreadPoolEngine:
    def __init__(self, max_workers=None, poll_interval=2.0):
        self.max_workers = max_workers or settings.EXECUTOR_MAX_WORKERS
        self.poll_interval = poll_interval
        self.name = worker_name()
        self._lock = threading.Lock()
        self._work = threading.Condition()
        self._generation = 0  # bumped on every submit: a worker never sleeps through one
        self._supervisors = {}
        self._threads = []
        self._started = False
        self._stopping = threading.Event()

    @property
    def started(self):
        return self._started

    def start(self):
        with self._lock:
            if self._started or self._stopping.is_set():
                return
            self._started = True
            for number in range(self.max_workers):
                thread = threading.Thread(
                    target=self._work_loop, name=f"executor-{number + 1}", daemon=True
                )
                thread.start()
                self._threads.append(thread)
            housekeeper = threading.Thread(
                target=self._housekeeping_loop, name="executor-housekeeping", daemon=True
            )
            housekeeper.start()
            self._threads.append(housekeeper)
            atexit.register(self.shutdown)
        logger.info("executor pool started: %d workers in %s", self.max_workers, self.name)

    def submit(self, task_id):
        self.start()
        self._wake()

    def cancel(self, task_id):
        """Stop a run supervised in this process at once; False when it is not here."""
        supervisor = self._supervisors.get(task_id)
        if supervisor is None:
            return False
        supervisor.cancel(EndReason.CANCELLED)
        return True

    def status(self):
        return {
            "backend": "thread",
            "started": self._started,
            "workers": self.max_workers,
            "busy": len(self._supervisors),
            "alive": sum(thread.is_alive() for thread in self._threads),
        }

    def shutdown(self, wait=True, timeout=None):
        """Stop taking work; interrupt the runs in progress and record them as such."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        for supervisor in list(self._supervisors.values()):
            supervisor.cancel(EndReason.INTERRUPTED)
        with self._work:
            self._work.notify_all()
        if wait:
            limit = timeout if timeout is not None else settings.EXECUTOR_KILL_GRACE + 5
            for thread in self._threads:
                thread.join(limit)
        atexit.unregister(self.shutdown)

    def _wake(self):
        with self._work:
            self._generation += 1
            self._work.notify()

    def _work_loop(self):
        while not self._stopping.is_set():
            seen = self._generation
            try:
                task = claim_next(self.name)
            except Exception:
                logger.exception("could not claim a task; retrying")
                close_old_connections()
                self._stopping.wait(1)
                continue
            if task is None:
                # Idle: give the connection back while there is nothing to do.
                connection.close()
                with self._work:
                    self._work.wait_for(
                        lambda seen=seen: self._generation != seen or self._stopping.is_set()
                    )
                continue
            self._run(task)
        connection.close()

    def _run(self, task):
        supervisor = Supervisor(task)
        self._supervisors[task.pk] = supervisor
        try:
            if self._stopping.is_set():
                supervisor.cancel(EndReason.INTERRUPTED)
            supervisor.run()
        except Exception:
            logger.exception("task %s: supervisor raised", task.pk)
        finally:
            self._supervisors.pop(task.pk, None)

    def _housekeeping_loop(self):
        while not self._stopping.wait(self.poll_interval):
            try:
                recover_stale()
                if Task.objects.pending().exists():
                    self._wake()
            except Exception:
                logger.exception("housekeeping failed; will retry")
                close_old_connections()
            try:
                run_retention_due(self.name, budget=RETENTION_BUDGET)
            except Exception:
                logger.exception("retention pass failed; will retry")
                close_old_connections()
        connection.close()
