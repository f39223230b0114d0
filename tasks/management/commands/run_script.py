import contextlib
import os
import signal
import sys
import threading
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tasks import services
from tasks.history import logs
from tasks.models import EndReason, Status, Stream, Task, Trigger
from tasks.services.engine import InlineRunner, this_worker

# Exit codes besides the script's own (0-255; a script killed by signal N gives 128+N, as
# in a shell). They follow timeout(1) and the shell, so cron and CI read them as usual.
EXIT_USAGE = 2  # bad arguments: unknown script or user, invalid parameter, not allowed
EXIT_TIMEOUT = 124  # stopped after the script's timeout
EXIT_INTERRUPTED = 125  # the executor lost the run (its supervisor failed)
EXIT_NOT_STARTED = 127  # could not start: missing interpreter, full queue, broken catalog
EXIT_CANCELLED = 130  # cancelled: Ctrl-C here (128 + SIGINT), or somebody else cancelled it

FOLLOW_INTERVAL = 0.2  # seconds between looks at a run another worker took over


class Command(BaseCommand):
    help = (
        "Run a catalog script from the terminal through the same engine as the site: its "
        "output streams here live, the run is recorded in the history, and the command "
        "exits with the script's return code (2: usage error, 124: timed out, 125: "
        "interrupted, 127: could not start, 130: cancelled). Ctrl-C cancels the run."
    )
    # An unrelated broken catalog entry must not stop a cron job from running this one.
    requires_system_checks = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Plain parse_args gives "run_script NAME --param k=v -- a b" an error: it fills
        # the free-args positional (empty) along with NAME, before it reaches "--".
        # The intermixed parse reads the options first, then all the positionals.
        parser.parse_args = parser.parse_intermixed_args
        return parser

    def add_arguments(self, parser):
        parser.add_argument("script", help="The script's name in the catalog.")
        parser.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="A parameter, as text (repeat for each; repeat a key for a multichoice).",
        )
        parser.add_argument(
            "--file",
            action="append",
            default=[],
            metavar="KEY=PATH",
            help="A file for a file parameter (repeat the key for several files).",
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="Whose run this is (it must be allowed to run the script). Default: the "
            "only active superuser; required when there are several or none.",
        )
        parser.add_argument(
            "args", nargs="*", metavar="ARG", help="Free arguments, after --, if it takes any."
        )

    def handle(self, *args, script, param, user, file, **options):
        self.verbosity = options["verbosity"]
        owner = _resolve_user(user)
        params = _parse_params(param)
        runner = InlineRunner(echo=self._write)
        with contextlib.ExitStack() as stack:
            files = _open_files(file, stack)
            task = self._submit(owner, script, params, args, files, runner)
        signalled = self._run(task, owner, runner)
        task.refresh_from_db()
        self._say(f"[{task.script} {task.short_id}: {describe(task)}]")
        code = exit_code(task, signalled)
        if code:
            sys.exit(code)

    def _submit(self, owner, script, params, args, files, runner):
        try:
            # The row is written here; the run happens below, once this command is
            # ready to stream it and to cancel it.
            task = services.execute(
                owner,
                script,
                params,
                list(args),
                from_text=True,
                backend=runner.recorder,
                trigger=Trigger.TERMINAL,
                files=files,
            )
        except (
            services.InvalidRequest,
            services.UnknownScript,
            services.NotAllowed,
            services.TooLarge,
        ) as exc:
            raise CommandError(exc.message, returncode=EXIT_USAGE) from None
        except services.ServiceError as exc:
            raise CommandError(exc.message, returncode=EXIT_NOT_STARTED) from None
        return task

    def _run(self, task, owner, runner):
        """Run the task in a thread while this (main) thread waits for Ctrl-C.

        Signal handlers only run in the main thread and may interrupt anything there, so
        the handler just notes the signal; the cancel itself (which may write the row)
        happens in this loop. Returns the signal number that cancelled the run, if any."""
        signals = []
        previous = {}
        if threading.current_thread() is threading.main_thread():
            previous = {
                sig: signal.signal(sig, lambda signum, frame: signals.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)
            }
        failure = []
        driver = threading.Thread(
            target=self._drive, args=(task.pk, runner, failure), name="run_script"
        )
        try:
            driver.start()
            cancelled = 0
            while driver.is_alive():
                driver.join(0.1)
                if len(signals) > cancelled:
                    if not cancelled:
                        self._cancel(owner, task.pk, runner)
                    grace = settings.EXECUTOR_KILL_GRACE
                    self._say(f"\n[cancelling the run: SIGTERM now, SIGKILL after {grace:g} s]")
                    cancelled = len(signals)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failure:
            raise failure[0]
        return signals[0] if signals else None

    def _drive(self, task_id, runner, failure):
        """Claim and run the task here; or, when another worker took it (or it waits for a
        free slot under its script's concurrency limit), follow it until it ends."""
        try:
            here = this_worker()
            offset = 0
            announced = False
            task = Task.objects.get(pk=task_id)
            while True:
                if task.status == Status.PENDING:
                    runner.run(task_id)  # runs it to its end when it can claim it
                    task = Task.objects.get(pk=task_id)
                    if task.status == Status.PENDING and not announced:
                        self._say(f"[{task.script} {task.short_id}: waiting for a free slot]")
                        announced = True
                if task.worker == here and task.is_finished:
                    return  # it ran here: its output went out as it came
                if task.status == Status.RUNNING or task.is_finished:
                    offset = self._relay(task_id, offset)
                if task.is_finished:
                    return
                time.sleep(FOLLOW_INTERVAL)
                task = Task.objects.get(pk=task_id)
        except BaseException as exc:
            failure.append(exc)
        finally:
            connection.close()

    def _cancel(self, owner, task_id, runner):
        # Like any other cancel: audited, through the row (a supervisor elsewhere looks
        # at its cancel flag several times a second), and at once for a run supervised
        # here. A run that has just ended has nothing left to cancel.
        with contextlib.suppress(services.ServiceError):
            services.cancel(owner, Task.objects.get(pk=task_id), backend=runner)

    def _relay(self, task_id, offset):
        """Copy output stored since `offset` (by another worker) to the terminal."""
        while True:
            part = logs.read(task_id, offset)
            for piece in part.parts:
                stream = Stream.STDOUT if piece.stream == Stream.STDOUT else Stream.STDERR
                self._write(stream, piece.text.encode())
            if part.next_offset == offset:
                return offset
            offset = part.next_offset

    def _write(self, stream, data):
        """Output goes out as the bytes the script wrote: stdout to stdout, stderr to
        stderr, flushed at once so a pipe or a terminal sees it live."""
        out = self.stderr if stream == Stream.STDERR else self.stdout
        binary = getattr(out, "buffer", None)
        if binary is None:
            out.write(data.decode("utf-8", "replace"), style_func=str, ending="")
        else:
            out.flush()
            binary.write(data)
        out.flush()

    def _say(self, message):
        """The command's own notes go to stderr, so stdout carries only the script's."""
        if self.verbosity >= 1:
            self.stderr.write(message, style_func=str)


def exit_code(task, signalled=None):
    """The command's exit code for a finished run (see the constants above)."""
    if task.status == Status.SUCCESS:
        return 0
    if task.end_reason == EndReason.EXIT:
        code = task.return_code
        return 128 - code if code < 0 else min(code, 255)
    if task.end_reason == EndReason.CANCELLED:
        return 128 + signalled if signalled else EXIT_CANCELLED
    if task.end_reason == EndReason.TIMEOUT:
        return EXIT_TIMEOUT
    if task.end_reason == EndReason.SPAWN_ERROR:
        return EXIT_NOT_STARTED
    return EXIT_INTERRUPTED


def describe(task):
    duration = f" after {task.duration.total_seconds():.1f} s" if task.duration else ""
    if task.status == Status.SUCCESS:
        return f"succeeded{duration}"
    if task.end_reason == EndReason.EXIT:
        return f"failed with exit code {task.return_code}{duration}"
    reason = task.get_end_reason_display().lower()
    return f"{reason}{duration}" + (f": {task.error}" if task.error else "")


def _resolve_user(username):
    User = get_user_model()
    if username:
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(
                f"--user: there is no user {username!r}", returncode=EXIT_USAGE
            ) from None
        if not user.is_active:
            raise CommandError(f"--user: {username!r} is not active", returncode=EXIT_USAGE)
        return user
    admins = list(User.objects.filter(is_superuser=True, is_active=True)[:2])
    if len(admins) == 1:
        return admins[0]
    raise CommandError(
        "--user is required: say whose run this is "
        + ("(there are several superusers)" if admins else "(there is no active superuser)"),
        returncode=EXIT_USAGE,
    )


def _open_files(pairs, stack):
    """--file KEY=PATH pairs as the uploads services take (name -> files); the files stay
    open until the run's row (and its copies of them) are written."""
    files = {}
    for pair in pairs:
        key, sep, path = pair.partition("=")
        if not sep or not key.strip() or not path:
            raise CommandError(f"--file {pair!r}: use KEY=PATH", returncode=EXIT_USAGE)
        try:
            handle = stack.enter_context(open(path, "rb"))  # noqa: SIM115 - the stack closes it
        except OSError as exc:
            raise CommandError(f"--file {pair!r}: {exc.strerror}", returncode=EXIT_USAGE) from None
        files.setdefault(key.strip(), []).append(File(handle, name=os.path.basename(path)))
    return files


def _parse_params(pairs):
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--param {pair!r}: use KEY=VALUE", returncode=EXIT_USAGE)
        key = key.strip()
        if key in params:
            # A repeated key is a list: how a multichoice takes several values.
            previous = params[key]
            params[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            params[key] = value
    return params
