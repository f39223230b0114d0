"""When and where runs happen on one machine: a bounded pool of supervisor threads.

A run is started by whoever finds a free slot first:

- `submit()` (called when a run request commits) claims that run and spawns its child
  right there, then hands the watching to a pool thread. The child starts without waiting
  for a thread to wake up or for the interpreter lock, which matters for short scripts.
- The dispatcher thread claims from the table, oldest first within each script's limit,
  whenever a slot frees up or every poll interval: runs that waited for a slot, runs
  submitted by another process, runs left pending by a restart. It also ends runs whose
  worker died and, once a day, purges old runs (housekeeping.py).

Claims are compare-and-set on the row (scheduling.py), so however many processes and
threads look at the table, each run starts once.
"""

import logging
import os
import signal
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connection

from tasks.executor.housekeeping import TimedRounds, recover_stale, retention_round
from tasks.executor.notifier import Notifier
from tasks.executor.scheduling import claim, claim_next
from tasks.executor.supervisor import Supervisor, worker_name
from tasks.models import EndReason, Task

logger = logging.getLogger(__name__)

HEED_SIGNALS = 0.1  # seconds: the longest a wait of the stop goes without heeding a signal


class ThreadPoolEngine:
    def __init__(self, max_workers=None, poll_interval=2.0):
        self.max_workers = max_workers or settings.EXECUTOR_MAX_WORKERS
        self.poll_interval = poll_interval
        self.name = worker_name()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.max_workers)
        self._work = threading.Condition()
        self._generation = 0  # bumped on every wake-up: the dispatcher never sleeps through one
        self._supervisors = {}
        self._pool = None
        self._dispatcher = None
        self._notifier = Notifier()
        self._stopping = threading.Event()

    @property
    def started(self):
        return self._pool is not None

    def start(self):
        if self._pool is not None:
            return
        with self._lock:
            if self._pool is not None or self._stopping.is_set():
                return
            self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="executor")
            self._dispatcher = threading.Thread(
                target=self._dispatch_loop, name="executor-dispatcher", daemon=True
            )
            self._dispatcher.start()
            self._notifier.start()
            at_interpreter_exit(self)
        logger.info("executor pool started: %d workers in %s", self.max_workers, self.name)

    def submit(self, task_id):
        """Start the run now if a slot is free; otherwise the dispatcher will."""
        self.start()
        if not self._stopping.is_set() and self._slots.acquire(blocking=False):
            try:
                task, _ = claim(task_id, self.name)
            except Exception:
                # Called from on_commit in a request: never fail it; the dispatcher retries.
                logger.exception("could not claim task %s on submit", task_id)
                task = None
            if task is not None:
                self._start(task)
                return
            self._slots.release()
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
            "started": self.started,
            "workers": self.max_workers,
            "busy": len(self._supervisors),
            "dispatcher_alive": bool(self._dispatcher and self._dispatcher.is_alive()),
        }

    def shutdown(self, wait=True):
        """Stop taking work; interrupt the runs in progress and record them as such."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        for supervisor in list(self._supervisors.values()):
            supervisor.cancel(EndReason.INTERRUPTED)
        self._wake()
        if self._pool is not None:
            if wait:
                self._wait_heeding_signals(lambda: not self._supervisors)
            self._pool.shutdown(wait=wait)
        if wait and self._dispatcher is not None:
            deadline = time.monotonic() + settings.EXECUTOR_KILL_GRACE + 5
            while self._dispatcher.is_alive() and time.monotonic() < deadline:
                self._dispatcher.join(HEED_SIGNALS)
        self._notifier.stop()

    def _wait_heeding_signals(self, done):
        """Wait until done() in short waits. A signal sent to the process may be taken by
        any of its threads, and its Python handler then runs only when the main thread
        next runs Python code: in one long wait for the runs, a second Ctrl-C waited for
        them (the whole grace period) instead of exiting at once."""
        with self._work:
            while not done():
                self._work.wait(HEED_SIGNALS)

    def shutdown_at_exit(self):
        """The interpreter is exiting (a server told to stop): stop the runs first."""
        if self._stopping.is_set():
            return
        if threading.current_thread() is threading.main_thread():
            # A second Ctrl-C exits at once, leaving what is left to recovery (unless
            # SIGINT is ignored: then it is not ours, runserver's reloader decides); a
            # SIGTERM now (a reloader passing the first one on) changes nothing.
            if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
                signal.signal(signal.SIGINT, _exit_now)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            # gunicorn's master answers the same Ctrl-C with SIGQUIT to its worker, late on
            # a loaded machine: its handler's sys.exit() would abort this stop half-way.
            signal.signal(signal.SIGQUIT, signal.SIG_IGN)
        if self._supervisors:
            logger.warning(
                "stopping: interrupting %d run(s), up to %g s (Ctrl-C again to exit now)",
                len(self._supervisors),
                settings.EXECUTOR_KILL_GRACE,
            )
        self.shutdown()

    # Internals.

    def _start(self, task):
        """Spawn a claimed task's child here and watch it on a pool thread.
        The caller holds a slot; it is released when the run ends."""
        supervisor = Supervisor(task)
        self._supervisors[task.pk] = supervisor
        try:
            if self._stopping.is_set():
                supervisor.cancel(EndReason.INTERRUPTED)
            if supervisor.spawn():
                self._pool.submit(self._watch, supervisor)
                return
        except BaseException:
            self._finished(supervisor)
            raise
        self._finished(supervisor)

    def _watch(self, supervisor):
        try:
            supervisor.watch()
        except Exception:
            logger.exception("task %s: supervisor raised", supervisor.task.pk)
        finally:
            # The pool thread's own connection: a pool thread lives on after its run and
            # is never told when it ends, so an open connection would outlive its use
            # (PostgreSQL then keeps a session per idle thread and cannot drop the database).
            connection.close()
            self._finished(supervisor)

    def _finished(self, supervisor):
        self._supervisors.pop(supervisor.task.pk, None)
        self._slots.release()
        self._wake()  # a slot is free: something may be waiting for it

    def _wake(self):
        with self._work:
            self._generation += 1
            self._work.notify_all()

    def _dispatch_loop(self):
        next_recovery = next_retention = 0.0
        rounds = TimedRounds()  # the scheduler's tick among them, at most ~1 s apart
        while not self._stopping.is_set():
            seen = self._generation
            try:
                self._claim_while_slots_free()
                if time.monotonic() >= next_recovery:
                    recover_stale()
                    next_recovery = time.monotonic() + settings.EXECUTOR_HEARTBEAT_INTERVAL
            except Exception:
                logger.exception("dispatcher failed; retrying")
                close_old_connections()
            if time.monotonic() >= next_retention:
                try:
                    retention_round(self.name)
                except Exception:
                    logger.exception("retention pass failed; will retry")
                    close_old_connections()
                next_retention = time.monotonic() + self.poll_interval
            wait = rounds.run_due(self.poll_interval)
            with self._work:
                self._work.wait_for(
                    lambda seen=seen: self._generation != seen or self._stopping.is_set(),
                    timeout=wait,
                )
        connection.close()

    def _claim_while_slots_free(self):
        while not self._stopping.is_set() and self._slots.acquire(blocking=False):
            try:
                task = claim_next(self.name) if Task.objects.pending().exists() else None
            except BaseException:
                self._slots.release()
                raise
            if task is None:
                self._slots.release()
                return
            self._start(task)


def at_interpreter_exit(engine):
    """Stop `engine` when the interpreter exits, before its threads are joined.

    atexit is too late: concurrent.futures joins its workers (here: supervisors watching
    runs that may last hours) before atexit handlers run, so a server told to stop waited
    for its runs instead of stopping them. threading's exit hook runs before that join
    (newest first; concurrent.futures registers its own with it). It is private, hence
    the fallback."""
    ref = weakref.ref(engine)

    def stop():
        engine = ref()
        if engine is not None:
            engine.shutdown_at_exit()

    register = getattr(threading, "_register_atexit", None)
    if register is None:  # pragma: no cover - every CPython since 3.9 has it
        import atexit

        atexit.register(stop)
    else:
        register(stop)


def _exit_now(signum, frame):
    os._exit(128 + signum)
