"""How one run happens: spawn the child, stream its output into the database, record its end.

One thread per run watches everything through one selector: the output read from both
pipes (by pipe_reader.py's thread, which keeps reading while this one writes to the
database), the child's exit (a pidfd), and a wake-up pipe that an in-process cancel
writes to. The child process is child.py's; its output, output.py's; its memory,
resources.py's. Every change to the row goes through the Task's verbs, each a
compare-and-set on the status: a run ended elsewhere is never overwritten.
"""

import contextlib
import logging
import os
import selectors
import socket
import subprocess
import threading
import time
from typing import Any

from django.conf import settings
from django.db import OperationalError, close_old_connections, transaction
from django.utils import timezone

from tasks import live, secret_params
from tasks.catalog import get_catalog, what_ran
from tasks.executor import child, process_tree
from tasks.executor.ending import end_fields, record_crash
from tasks.executor.environment import child_environment
from tasks.executor.log_writer import LogWriter
from tasks.executor.output import Echo, Output
from tasks.executor.pipe_reader import PipeReader
from tasks.executor.resources import TreeSampler, own_high_water_kb
from tasks.executor.run_write import write_once
from tasks.executor.watchdog import Watchdog
from tasks.executor.workdir import RunFiles
from tasks.models import EndReason, Status, Stream, Task

logger = logging.getLogger(__name__)

CANCEL_POLL = 0.25  # seconds between looks at the row's cancel flag
EXIT_DRAIN = 2.0  # how long pipes may stay open after the script itself exited
EXIT_POLL = 0.05  # seconds between looks for the exit where there is no pidfd
WRITE_RETRIES = 8
COALESCE = 0.005  # seconds output after a quiet spell waits for company before a write
# A flood is written once a flush interval or once this much waits, not at every chunk:
# each write wakes every live viewer of the run (fifty stream clients, fifty reads).
WRITE_AT_ONCE = 1 << 20

_WAKE, _EXIT, _OUTPUT = "wake", "exit", "output"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Supervisor:
    """Runs one claimed task to its end. `cancel()` may be called from any thread."""

    def __init__(self, task: Task, *, echo: Echo | None = None) -> None:
        self.task = task
        self.echo = echo  # callable(stream, bytes): run_script tees output to the terminal
        self.stop_reason: str | None = None
        self._stop_requested = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self.proc: subprocess.Popen | None = None
        self.tree: process_tree.ProcessTree | None = None
        self.files = RunFiles(task)  # its working folder: uploads in, artifacts out

    def cancel(self, reason: str = EndReason.CANCELLED) -> None:
        """Stop the run: SIGTERM to its whole tree now, SIGKILL after the grace period."""
        if self.stop_reason is None:
            self.stop_reason = reason
        self._stop_requested.set()
        # OSError: the pipe is full (a wake-up is pending anyway) or the run is over.
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def run(self) -> None:
        """Start the child and watch it to its end; the row is always ended."""
        if self.spawn():
            self.watch()

    def spawn(self) -> bool:
        """Start the child process; False (with the row ended) when it could not start."""
        started = False
        try:
            started = self._guard(self._spawn)
            return started
        finally:
            if not started:
                self._close_wake_pipe()

    def watch(self) -> None:
        """Follow a spawned child to its end and record it."""
        try:
            self._guard(self._watch)
        finally:
            self._close_wake_pipe()

    def _guard(self, step):
        try:
            return step()
        except BaseException as exc:
            logger.exception("supervisor of task %s failed", self.task.pk)
            if self.tree is not None:
                self.tree.kill()
                self.tree.reap()
            close_old_connections()
            record_crash(self.task, exc)
            if not isinstance(exc, Exception):
                raise
            return False

    def _close_wake_pipe(self) -> None:
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.files.remove()
        live.notify(self.task.pk)

    # Starting.

    def _spawn(self) -> bool:
        task = self.task
        entry = get_catalog().get(task.script)
        if entry is None:
            return self._could_not_start(
                f"the script {task.script!r} is not in this worker's catalog ({get_catalog().path})"
            )
        if not entry.path.is_file():
            return self._could_not_start(f"the script file {entry.path} does not exist")
        if self._stop_requested.is_set():
            return self._could_not_start("the server was shutting down", EndReason.INTERRUPTED)
        script_args, task_env, secrets = task.script_args, task.env, ()
        if task.sealed_secrets:
            try:
                opened = secret_params.unseal(task.sealed_secrets)
            except secret_params.SealBroken as exc:
                return self._could_not_start(str(exc))
            # From here on the values live only in this process's memory.
            if not task.forget_secrets():
                return self._could_not_start("the run ended before it started")
            script_args, task_env, secrets = opened.script_args, opened.env, opened.values
        script_args, task_env = self.files.prepare(entry, script_args, task_env, secrets)
        argv = entry.argv(script_args)
        env = child_environment(task_env, task.pk, entry.live_output, entry.unbuffered)
        process_tree.become_subreaper()
        try:
            self.proc = child.spawn(argv, cwd=entry.path.parent, env=env)
        except OSError as exc:
            return self._could_not_start(f"could not start {argv[0]}: {exc.strerror or exc}")
        # Made while the child starts up: its output is read only once this returns.
        writer = LogWriter(task.pk, settings.EXECUTOR_MAX_LOG_BYTES, secrets=secrets)
        progress, echo = (task.progress, task.progress_message), self.files.echo(self.echo)
        self.output = Output(writer, progress, echo)
        # After the spawn: its query (the script's usual duration) runs while the child
        # starts up, not before it.
        self.watchdog = Watchdog(task, entry, self.cancel)
        # Read after the fork: the mark is monotonic, so it bounds what the child took over.
        self.memory = TreeSampler(self.proc.pid, inherited_kb=own_high_water_kb())
        self.tree = process_tree.ProcessTree(self.proc, task.pk)
        # What actually ran here: written with the row's first update where it differs.
        ran = what_ran(entry, task.script_args)
        self._start_fields: dict[str, Any] | None = {"pid": self.proc.pid}
        self._start_fields.update(
            (name, value) for name, value in ran.items() if getattr(task, name) != value
        )
        self._spawned_at = time.monotonic()
        return True

    # Watching: a loop over one selector, each deadline a small method of its own.

    def _watch(self) -> None:
        proc = self.proc
        selector = selectors.DefaultSelector()
        pipes = {proc.stdout.fileno(): Stream.STDOUT, proc.stderr.fileno(): Stream.STDERR}
        self._reader = PipeReader(pipes)
        selector.register(self._reader.wake_fd, selectors.EVENT_READ, _OUTPUT)
        selector.register(self._wake_r, selectors.EVENT_READ, _WAKE)
        self._pidfd = child.open_pidfd(proc.pid)
        if self._pidfd is not None:
            selector.register(self._pidfd, selectors.EVENT_READ, _EXIT)
        self._open_pipes = set(pipes.values())
        # This thread's connection is opened while the child starts up, not by the final
        # write (a short run's first query): connecting costs a millisecond or more.
        transaction.get_connection().ensure_connection()

        started = self._spawned_at
        self._timeout_at = started + self.task.timeout
        self._kill_at: float | None = None
        self._exited_at: float | None = None
        # The first write (pid, argv) goes soon; a shorter run folds it into its last.
        self._last_write = started - settings.EXECUTOR_HEARTBEAT_INTERVAL
        self._last_write += settings.EXECUTOR_FLUSH_INTERVAL
        self._flush_due: float | None = None
        self._next_check = started + CANCEL_POLL

        self._reader.start()
        try:
            while self._open_pipes or self._exited_at is None:
                wait = max(0.0, min(self._deadlines()) - time.monotonic())
                for key, _ in selector.select(wait):
                    self._on_event(selector, key)
                self._on_time(time.monotonic())
            # The run is over: its script has exited and all it wrote is read. The rest
            # (its tree's end, reaping, its files, the row) is the engine's bookkeeping.
            completed_at = timezone.now()
        finally:
            selector.close()
            self._reader.stop()  # before the pipes close: it must not read a reused fd
        self.output.close()
        # The script has exited but is not reaped yet, so its pid (our process group id)
        # cannot have been reused: ending the tree here cannot hit a stranger.
        self.tree.kill()
        self._finish(self.tree.reap(), completed_at)

    def _deadlines(self) -> list[float]:
        """When the loop must next look, whatever the pipes do."""
        deadlines = [self._next_check, self._heartbeat_due()]
        if self._exited_at is None:
            deadlines.append(self.memory.next_sample_at)
        if self._flush_due is not None:
            deadlines.append(self._flush_due)
        if self.stop_reason is None:
            deadlines.append(self._timeout_at)
        if self._kill_at is not None:
            deadlines.append(self._kill_at)
        if self._exited_at is not None:
            deadlines.append(self._exited_at + EXIT_DRAIN)
        if self._pidfd is None and self._exited_at is None:
            deadlines.append(time.monotonic() + EXIT_POLL)
        return deadlines

    def _heartbeat_due(self) -> float:
        return self._last_write + settings.EXECUTOR_HEARTBEAT_INTERVAL

    def _on_event(self, selector: selectors.BaseSelector, key: selectors.SelectorKey) -> None:
        if key.data == _WAKE:
            child.drain(self._wake_r)
        elif key.data == _EXIT:
            selector.unregister(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1
            self._exited_at = self._exited_at or time.monotonic()
        else:
            for stream, data in self._reader.take():
                if data:
                    self.output.received(stream, data)
                    self.watchdog.output_seen()
                    self._schedule_flush()
                else:  # the pipe's end
                    self._open_pipes.discard(stream)
                    if self.output.end_stream(stream):
                        self._schedule_flush()

    def _on_time(self, now: float) -> None:
        if self._exited_at is None and self._pidfd is None and child.has_exited(self.proc.pid):
            self._exited_at = now
        if self._exited_at is None:
            self.memory.sample_if_due(now)
        self._start_stop_if_asked()
        self._stop_at_timeout(now)
        self._kill_after_grace(now)
        self._end_after_drain(now)
        self._write_if_due(now)
        self._poll_row_if_due(now)
        self.watchdog.check(now)

    def _start_stop_if_asked(self) -> None:
        if self._stop_requested.is_set() and self._kill_at is None and self._exited_at is None:
            self._kill_at = self.tree.begin_stop(settings.EXECUTOR_KILL_GRACE, self.stop_reason)

    def _stop_at_timeout(self, now: float) -> None:
        if self.stop_reason is None and now >= self._timeout_at and self._exited_at is None:
            self.stop_reason = EndReason.TIMEOUT
            self._kill_at = self.tree.begin_stop(settings.EXECUTOR_KILL_GRACE, EndReason.TIMEOUT)

    def _kill_after_grace(self, now: float) -> None:
        if self._kill_at is not None and now >= self._kill_at and self._exited_at is None:
            self.tree.kill(after_grace=True)
            self._kill_at = None

    def _end_after_drain(self, now: float) -> None:
        exited = self._exited_at
        if exited is not None and self._open_pipes and now >= exited + EXIT_DRAIN:
            # The script is gone but something it started holds its output open: end it.
            self.tree.kill()
            if now >= exited + EXIT_DRAIN + 1:
                self._open_pipes.clear()

    def _write_if_due(self, now: float) -> None:
        if self._flush_due is not None and (
            now >= self._flush_due or self.output.pending_bytes >= WRITE_AT_ONCE
        ):
            held = self.output.flush_partials(now)
            self._write()
            self._flush_due = held  # a partial line waits for its stream's quiet spell
        elif now >= self._heartbeat_due():
            self._write()

    def _poll_row_if_due(self, now: float) -> None:
        if now >= self._next_check:
            self._next_check = now + CANCEL_POLL
            self._check_row()

    def _schedule_flush(self) -> None:
        # Leading edge: output after a quiet spell is written within COALESCE (lines printed
        # together share one write); during a flood, at most one write per interval. The
        # first waits for the interval after the spawn: a shorter run makes one write.
        if self._flush_due is not None:
            return
        now = time.monotonic()
        interval = settings.EXECUTOR_FLUSH_INTERVAL
        self._flush_due = max(
            now + COALESCE, self._last_write + interval, self._spawned_at + interval
        )

    # The row.

    def _write(self, final: dict[str, Any] | None = None) -> None:
        """Write pending output and the row's state in one short transaction."""
        fields = {"heartbeat_at": timezone.now(), **self.output.row_fields()}
        if self._start_fields:
            fields.update(self._start_fields)
        if final:
            fields.update(final)
        new, doomed = self.output.writer.take()
        for attempt in range(WRITE_RETRIES if final else 1):
            try:
                won = write_once(self.task, new, doomed, fields, final is not None)
                break
            except OperationalError as exc:
                # SQLite busy beyond its timeout, or a dropped PostgreSQL connection.
                logger.warning("task %s: write failed (%s), will retry", self.task.pk, exc)
                close_old_connections()
                if final and attempt + 1 < WRITE_RETRIES:
                    time.sleep(min(2.0, 0.05 * 2**attempt))
                    continue
                self.output.writer.put_back(new, doomed)
                if final:
                    raise
                return
        self._start_fields = None
        self.output.written()
        self._flush_due = None
        self._last_write = time.monotonic()
        if not won:
            self._lost_the_row(final is not None)
        live.notify(self.task.pk)

    def _lost_the_row(self, final: bool) -> None:
        # Somebody else ended the run (recovery took it for dead, or the row is gone):
        # what it recorded stands, and the script has nobody left to report to.
        logger.warning("task %s is no longer running here; its row was left as it is", self.task.pk)
        if not final:
            self.cancel(EndReason.INTERRUPTED)

    def _check_row(self) -> None:
        row = Task.objects.filter(pk=self.task.pk).values_list("cancel_requested_at").first()
        if row is None:
            # The row is gone (deleted by hand): nobody can see this run any more.
            self.cancel(EndReason.INTERRUPTED)
        elif row[0] is not None and self.stop_reason is None:
            self.cancel(EndReason.CANCELLED)

    # Ending.

    def _finish(self, rusage, completed_at) -> None:
        exception = self.output.exception_line
        final = {
            **end_fields(self.stop_reason, self.proc.returncode, self.task.timeout, exception),
            "completed_at": completed_at,
            "killed": self.tree.killed,
            **self.memory.usage_fields(rusage),
        }
        if final["status"] == Status.SUCCESS:
            self.output.succeeded()
        self._write({**final, **self.files.collect()})

    def _could_not_start(self, message: str, reason: str = EndReason.SPAWN_ERROR) -> bool:
        logger.warning("task %s could not start: %s", self.task.pk, message)
        self.task.finish(
            status=Status.FAILED, end_reason=reason, error=message[:2000], sealed_secrets=""
        )
        return False
