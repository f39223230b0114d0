"""How one run happens: spawn the child, stream its output into the database, record its end.

One thread per run watches everything through one selector: both output pipes, the
child's exit (a pidfd), and a wake-up pipe that an in-process cancel writes to. Nothing
here blocks on a single pipe, so a child flooding stderr can never stall on a full
stdout pipe, or the other way round.
"""

import contextlib
import fcntl
import logging
import os
import selectors
import signal
import socket
import subprocess
import threading
import time

from django.conf import settings
from django.db import OperationalError, close_old_connections, transaction
from django.utils import timezone

from tasks import live, secret_params
from tasks.catalog import get_catalog, interpreter_version, script_sha256
from tasks.executor.environment import child_environment
from tasks.executor.log_writer import MAX_CHUNK, LogWriter, utf8_boundary
from tasks.executor.progress import last_progress
from tasks.executor.text import decode
from tasks.executor.tracebacks import ExceptionLineFinder
from tasks.models import EndReason, LogChunk, Status, Stream, Task, duration_until

logger = logging.getLogger(__name__)

F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
PIPE_SIZE = 1 << 20  # a roomy pipe lets a chatty child write without waiting for us
READ_SIZE = 1 << 20
CANCEL_POLL = 0.25  # seconds between looks at the row's cancel flag
EXIT_DRAIN = 2.0  # how long pipes may stay open after the script itself exited
WRITE_RETRIES = 8
COALESCE = 0.005  # seconds output after a quiet spell waits for company before a write
TAIL_BYTES = 4096

_WAKE, _EXIT = "wake", "exit"


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


class Supervisor:
    """Runs one claimed task to its end. `cancel()` may be called from any thread."""

    def __init__(self, task, *, echo=None):
        self.task = task
        self.echo = echo  # callable(stream, bytes): run_script tees output to the terminal
        self.stop_reason = None
        self._stop_requested = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self.proc = None

    def cancel(self, reason=EndReason.CANCELLED):
        """Stop the run: SIGTERM to its process group now, SIGKILL after the grace period."""
        if self.stop_reason is None:
            self.stop_reason = reason
        self._stop_requested.set()
        # OSError: the pipe is full (a wake-up is pending anyway) or the run is over.
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def run(self):
        """Start the child and watch it to its end; the row is always ended."""
        if self.spawn():
            self.watch()

    def spawn(self):
        """Start the child process; False (with the row ended) when it could not start."""
        started = False
        try:
            started = self._guard(self._spawn)
            return started
        finally:
            if not started:
                self._close_wake_pipe()

    def watch(self):
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
            self._kill_group(signal.SIGKILL)
            self._reap()
            close_old_connections()
            self._record_crash(exc)
            if not isinstance(exc, Exception):
                raise
            return False

    def _close_wake_pipe(self):
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        live.notify(self.task.pk)

    # The run itself.

    def _spawn(self):
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
            Task.objects.filter(pk=task.pk).update(sealed_secrets="")
            script_args, task_env, secrets = opened.script_args, opened.env, opened.values
        argv = entry.argv(script_args)
        env = child_environment(task_env, task.pk, entry.live_output)
        self.writer = LogWriter(task.pk, settings.EXECUTOR_MAX_LOG_BYTES, secrets=secrets)
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=entry.path.parent,
                env=env,
                start_new_session=True,  # its own process group: cancel reaches grandchildren
                close_fds=True,
                bufsize=0,
            )
        except OSError as exc:
            return self._could_not_start(f"could not start {argv[0]}: {exc.strerror or exc}")
        # The child starts on this thread's CPU, and this thread (often a web request's)
        # has more to do. Yielding once lets the scheduler run the child first and spread
        # the two over the cores; without it a Python child's start-up measured 0.4 ms
        # (5 %) slower on two cores.
        os.sched_yield()
        # What actually ran, on this machine (which may not be the one that took the
        # request): written with the first update of the row where it differs.
        ran = {
            "argv": entry.argv(task.script_args),  # masked where a parameter is secret
            "interpreter": entry.interpreter,
            "interpreter_version": interpreter_version(entry.interpreter),
            "script_sha256": script_sha256(entry.path),
        }
        self._row_updates = {"pid": self.proc.pid}
        self._row_updates.update(
            (name, value) for name, value in ran.items() if getattr(task, name) != value
        )
        self._spawned_at = time.monotonic()
        return True

    def _watch(self):
        proc, task = self.proc, self.task
        interval = settings.EXECUTOR_FLUSH_INTERVAL
        heartbeat_every = settings.EXECUTOR_HEARTBEAT_INTERVAL
        grace = settings.EXECUTOR_KILL_GRACE

        selector = selectors.DefaultSelector()
        pipes = {proc.stdout.fileno(): Stream.STDOUT, proc.stderr.fileno(): Stream.STDERR}
        for fd, stream in pipes.items():
            # The system may cap pipe sizes; the default still works, only a bit slower.
            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE)
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ, stream)
        selector.register(self._wake_r, selectors.EVENT_READ, _WAKE)
        pidfd = _open_pidfd(proc.pid)
        if pidfd is not None:
            selector.register(pidfd, selectors.EVENT_READ, _EXIT)

        self._partial = {Stream.STDOUT: b"", Stream.STDERR: b""}
        self._progress = (task.progress, task.progress_message)
        self._progress_dirty = False
        self._exceptions = ExceptionLineFinder()
        self._tails = {Stream.STDOUT: b"", Stream.STDERR: b""}
        self._tails_dirty = False
        self.killed = False

        started = self._spawned_at
        timeout_at = started + task.timeout
        kill_at = None
        exited_at = None
        # The first write (pid, argv, heartbeat) goes out soon; a run shorter than a
        # flush interval folds it into its final write instead.
        self._last_write = started - heartbeat_every + interval
        self._flush_due = None
        next_check = started + CANCEL_POLL
        open_pipes = set(pipes)

        while open_pipes or exited_at is None:
            now = time.monotonic()
            deadlines = [next_check, self._last_write + heartbeat_every]
            if self._flush_due is not None:
                deadlines.append(self._flush_due)
            if self.stop_reason is None:
                deadlines.append(timeout_at)
            if kill_at is not None:
                deadlines.append(kill_at)
            if exited_at is not None:
                deadlines.append(exited_at + EXIT_DRAIN)
            if pidfd is None and exited_at is None:
                deadlines.append(now + 0.05)  # no pidfd: poll for the exit
            wait = max(0.0, min(deadlines) - now)

            for key, _ in selector.select(wait):
                if key.data == _WAKE:
                    _drain(self._wake_r)
                elif key.data == _EXIT:
                    selector.unregister(pidfd)
                    os.close(pidfd)
                    pidfd = -1
                    exited_at = exited_at or time.monotonic()
                else:
                    data = _read(key.fd)
                    if data is None:
                        continue
                    if data:
                        self._received(key.data, data)
                    else:
                        selector.unregister(key.fd)
                        open_pipes.discard(key.fd)
                        self._end_partial(key.data)

            now = time.monotonic()
            if exited_at is None and pidfd is None and _has_exited(proc.pid):
                exited_at = now
            if self._stop_requested.is_set() and kill_at is None and exited_at is None:
                kill_at = self._begin_stop(self.stop_reason, grace)
            if self.stop_reason is None and now >= timeout_at and exited_at is None:
                self.stop_reason = EndReason.TIMEOUT
                kill_at = self._begin_stop(EndReason.TIMEOUT, grace)
            if kill_at is not None and now >= kill_at and exited_at is None:
                self._kill_group(signal.SIGKILL)
                self.killed = True
                kill_at = None
            if exited_at is not None and open_pipes and now >= exited_at + EXIT_DRAIN:
                # The script is gone but something it started still holds its output
                # open. The run is over: end the rest of its process group.
                self._kill_group(signal.SIGKILL)
                if now >= exited_at + EXIT_DRAIN + 1:
                    open_pipes.clear()
            if self._flush_due is not None and (
                now >= self._flush_due or self.writer.pending_bytes >= MAX_CHUNK
            ):
                self._flush_partials()
                self._write()
            elif now >= self._last_write + heartbeat_every:
                self._write()
            if now >= next_check:
                next_check = now + CANCEL_POLL
                self._check_row()

        selector.close()
        self._exceptions.close()
        # The script has exited but is not reaped yet, so its pid (our process group id)
        # cannot have been reused: ending the group here cannot hit a stranger.
        self._kill_group(signal.SIGKILL)
        rusage = self._reap()
        self._finish(rusage)

    # Output.

    def _received(self, stream, data):
        buffer = self._partial[stream] + data if self._partial[stream] else data
        cut = max(buffer.rfind(b"\n"), buffer.rfind(b"\r")) + 1
        if not cut and len(buffer) > MAX_CHUNK:
            cut = self.writer.safe_length(buffer[: utf8_boundary(buffer, len(buffer))])
        self._partial[stream] = buffer[cut:]
        if cut:
            self._emit(stream, buffer[:cut])
        if self._flush_due is None and self._partial[stream]:
            self._schedule_flush()

    def _end_partial(self, stream):
        if self._partial[stream]:
            self._emit(stream, self._partial[stream])
            self._partial[stream] = b""

    def _flush_partials(self):
        for stream, data in self._partial.items():
            cut = self.writer.safe_length(data[: utf8_boundary(data, len(data))])
            if cut:
                self._emit(stream, data[:cut])
                self._partial[stream] = data[cut:]

    def _emit(self, stream, data):
        """Complete lines (or a flushed partial line) of one stream, in arrival order."""
        # Everything derived from the output (progress, tails, exception line, the
        # terminal echo) sees it as stored: with secret values masked.
        data = self.writer.append(stream, data)
        found = last_progress(data)
        if found is not None:
            percent, message = found
            if percent is None:
                percent = self._progress[0]
            if (percent, message) != self._progress:
                self._progress = (percent, message)
                self._progress_dirty = True
        tail = self._tails[stream] + data[-TAIL_BYTES:]
        self._tails[stream] = tail[-TAIL_BYTES:]
        self._tails_dirty = True
        if stream == Stream.STDERR:
            self._exceptions.feed(data)
        if self.echo is not None:
            self.echo(stream, data)
        if self._flush_due is None:
            self._schedule_flush()

    def _schedule_flush(self):
        # Leading edge: output after a quiet spell is written within COALESCE (a viewer
        # sees it within milliseconds, and lines printed together, or a last line and the
        # exit right after it, share one write); during a flood, writes come at most once
        # per interval.
        now = time.monotonic()
        self._flush_due = max(now + COALESCE, self._last_write + settings.EXECUTOR_FLUSH_INTERVAL)

    # The row.

    def _row_fields(self):
        fields = {"heartbeat_at": timezone.now(), "log_bytes": self.writer.received}
        fields["log_dropped_bytes"] = self.writer.dropped
        if self._progress_dirty:
            percent, message = self._progress
            fields.update(progress=percent, progress_message=message)
        if self._row_updates:
            fields.update(self._row_updates)
        if self._tails_dirty:
            fields["stdout_tail"] = _tail_text(self._tails[Stream.STDOUT])
            fields["stderr_tail"] = _tail_text(self._tails[Stream.STDERR])
        return fields

    def _write(self, final_fields=None):
        """Write pending output and the row's state in one short transaction."""
        fields = self._row_fields()
        if final_fields:
            fields.update(final_fields)
        new, doomed = self.writer.take()
        for attempt in range(WRITE_RETRIES if final_fields else 1):
            try:
                with transaction.atomic():
                    for start in range(0, len(doomed), 500):
                        LogChunk.objects.filter(
                            task_id=self.task.pk, offset__in=doomed[start : start + 500]
                        ).delete()
                    if new:
                        LogChunk.objects.bulk_create(new)
                    Task.objects.filter(pk=self.task.pk).update(**fields)
                break
            except OperationalError as exc:
                # SQLite busy beyond its timeout, or a dropped PostgreSQL connection.
                logger.warning("task %s: write failed (%s), will retry", self.task.pk, exc)
                close_old_connections()
                if final_fields and attempt + 1 < WRITE_RETRIES:
                    time.sleep(min(2.0, 0.05 * 2**attempt))
                    continue
                self.writer.put_back(new, doomed)
                if final_fields:
                    raise
                return
        self._row_updates = None
        self._progress_dirty = self._tails_dirty = False
        self._flush_due = None
        self._last_write = time.monotonic()
        live.notify(self.task.pk)

    def _check_row(self):
        row = Task.objects.filter(pk=self.task.pk).values_list("cancel_requested_at").first()
        if row is None:
            # The row is gone (deleted by hand): nobody can see this run any more.
            self.cancel(EndReason.INTERRUPTED)
        elif row[0] is not None and self.stop_reason is None:
            self.cancel(EndReason.CANCELLED)

    # Ending.

    def _begin_stop(self, reason, grace):
        logger.info("task %s: stopping (%s)", self.task.pk, reason)
        if grace <= 0:
            self._kill_group(signal.SIGKILL)
            self.killed = True
            return None
        self._kill_group(signal.SIGTERM)
        return time.monotonic() + grace

    def _kill_group(self, sig):
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def _reap(self):
        if self.proc is None or self.proc.returncode is not None:
            return None
        _, status, rusage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        for pipe in (self.proc.stdout, self.proc.stderr):
            pipe.close()
        return rusage

    def _finish(self, rusage):
        code = self.proc.returncode
        reason = self.stop_reason
        if reason == EndReason.TIMEOUT:
            status = Status.FAILED
        elif reason in (EndReason.CANCELLED, EndReason.INTERRUPTED):
            status = Status.CANCELLED if reason == EndReason.CANCELLED else Status.FAILED
        else:
            reason = EndReason.EXIT
            status = Status.SUCCESS if code == 0 else Status.FAILED
        completed = timezone.now()
        final = {
            "status": status,
            "end_reason": reason,
            "return_code": code,
            "completed_at": completed,
            "duration": duration_until(completed),
            "killed": self.killed,
            "exception": self._exceptions.line,
        }
        if reason == EndReason.TIMEOUT:
            final["error"] = f"stopped after its timeout of {self.task.timeout:g} s"
        elif reason == EndReason.INTERRUPTED:
            final["error"] = "the server shut down during the run"
        if rusage is not None:
            final["peak_memory_kb"] = rusage.ru_maxrss
            final["cpu_seconds"] = round(rusage.ru_utime + rusage.ru_stime, 3)
        if status == Status.SUCCESS:
            self._progress = (100, self._progress[1])
            self._progress_dirty = True
        self._write(final)
        self.task.status = status

    def _could_not_start(self, message, reason=EndReason.SPAWN_ERROR):
        logger.warning("task %s could not start: %s", self.task.pk, message)
        self.task.finish(
            status=Status.FAILED, end_reason=reason, error=message[:2000], sealed_secrets=""
        )
        return False

    def _record_crash(self, exc):
        message = f"the supervisor failed: {type(exc).__name__}: {exc}"[:2000]
        try:
            self.task.finish(
                status=Status.FAILED,
                end_reason=EndReason.INTERRUPTED,
                error=message,
                sealed_secrets="",
            )
        except Exception:
            logger.exception("task %s: could not record the supervisor's failure", self.task.pk)


def _tail_text(data):
    # The tail may start inside a multi-byte character: skip its continuation bytes.
    start = 0
    while start < min(3, len(data)) and data[start] & 0xC0 == 0x80:
        start += 1
    return decode(data[start:])


def _read(fd):
    try:
        return os.read(fd, READ_SIZE)
    except BlockingIOError:
        return None


def _drain(fd):
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def _open_pidfd(pid):
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _has_exited(pid):
    """Whether the child has exited, without reaping it (its pid stays ours)."""
    try:
        result = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return result is not None
