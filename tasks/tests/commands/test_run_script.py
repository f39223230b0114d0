"""manage.py run_script: live output in the terminal, a recorded run, honest exit codes."""

import json
import os
import signal
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from tasks.management.commands.run_script import exit_code
from tasks.models import AuditAction, AuditEvent, EndReason, LogChunk, Status, Stream, Task
from tasks.tests.conftest import TEST_CATALOG
from tasks.tests.factories import make_task, task_row
from tasks.tests.helpers import database_url, pid_alive, read_pids, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def run(*args):
    """(exit code, stdout, stderr) of the command, run in this process."""
    out, err = StringIO(), StringIO()
    try:
        call_command("run_script", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_it_runs_the_script_streams_its_output_and_records_the_run(admin_user):
    code, out, err = run("lines", "--param", "count=3")
    assert code == 0
    assert out == "[1/3] line 1\n[2/3] line 2\n[3/3] line 3\n"
    task = Task.objects.get()
    assert (task.status, task.user, task.params) == (
        Status.SUCCESS,
        admin_user,
        {
            "count": 3,
            "delay": 0.0,
        },
    )
    assert f"[lines {task.short_id}: succeeded after" in err
    stored = b"".join(bytes(chunk.data) for chunk in LogChunk.objects.filter(task=task))
    assert stored.decode() == out


def test_output_reaches_the_terminal_while_the_script_still_runs(admin_user):
    seen = []

    class Terminal(StringIO):
        def write(self, text):
            if not seen:
                seen.append(Task.objects.values_list("status", flat=True).get())
            return super().write(text)

    call_command(
        "run_script",
        "lines",
        "--param",
        "count=3",
        "--param",
        "delay=0.3",
        stdout=Terminal(),
        stderr=StringIO(),
    )
    assert seen == [Status.RUNNING]


def test_stderr_goes_to_stderr_and_a_failure_exits_with_the_scripts_code(admin_user):
    code, out, err = run("fail")
    assert code == 1
    assert out == "about to fail\n"
    assert "RuntimeError: report failed" in err
    assert Task.objects.get().exception == "RuntimeError: report failed"


def test_it_exits_with_the_scripts_return_code(admin_user):
    assert run("exit_code", "--param", "code=7")[0] == 7


def test_free_arguments_follow_a_double_dash_and_may_look_like_options(user):
    code, out, _ = run("echo", "--user", "alice", "--param", "count=2", "--", "a", "-b", "--c")
    assert code == 0
    # On the script's command line, after a "--" of their own: they cannot set options.
    assert json.loads(out)["argv"] == ["--greeting=hello", "--count=2", "--", "a", "-b", "--c"]
    assert Task.objects.get().user == user


def test_a_repeated_parameter_gives_a_multichoice_several_values(admin_user):
    _, out, _ = run("echo", "--param", "tags=a", "--param", "tags=c")
    assert json.loads(out)["argv"] == ["--greeting=hello", "--tag=a", "--tag=c"]


def test_a_timeout_exits_124(admin_user):
    code, _, err = run("short_timeout")
    assert code == 124
    assert "timed out after" in err
    assert Task.objects.get().end_reason == EndReason.TIMEOUT


def test_a_script_that_cannot_start_exits_127(admin_user, settings, tmp_path):
    interpreter = tmp_path / "interpreter"
    interpreter.write_text("#!/nonexistent/interpreter\n")
    interpreter.chmod(0o755)
    (tmp_path / "job.py").write_text("print('never')\n")
    (tmp_path / "catalog.toml").write_text(
        f'[scripts.job]\npath = "job.py"\ninterpreter = "{interpreter}"\n'
    )
    settings.EXECUTOR_SCRIPTS = str(tmp_path)
    code, out, err = run("job")
    assert code == 127
    assert out == ""
    assert "could not start" in err
    assert Task.objects.get().end_reason == EndReason.SPAWN_ERROR


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "Unknown script 'nope'. Scripts you can run: echo, "),
        (["echo", "--param", "count=many"], "params.count: must be a whole number"),
        (["echo", "--param", "count"], "--param 'count': use KEY=VALUE"),
        (["echo", "--param", "colour=red"], "params.colour: is not a parameter of 'echo'"),
        (["lines", "--", "free"], "'lines' takes no free arguments"),
        (["secret_club"], "Unknown script 'secret_club'"),
    ],
)
@pytest.mark.django_db
def test_usage_errors_exit_2_with_a_clear_message_and_run_nothing(args, message, django_user_model):
    django_user_model.objects.create_user("ops")
    with pytest.raises(CommandError, match=message) as raised:
        call_command("run_script", "--user", "ops", *args, stdout=StringIO(), stderr=StringIO())
    assert raised.value.returncode == 2
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_the_user_must_be_named_when_there_is_not_exactly_one_superuser(django_user_model):
    with pytest.raises(CommandError, match="there is no active superuser") as raised:
        call_command("run_script", "echo")
    assert raised.value.returncode == 2
    django_user_model.objects.create_user("one", is_superuser=True)
    django_user_model.objects.create_user("two", is_superuser=True)
    with pytest.raises(CommandError, match="there are several superusers"):
        call_command("run_script", "echo")
    django_user_model.objects.create_user("idle", is_active=False)
    with pytest.raises(CommandError, match="--user: 'idle' is not active"):
        call_command("run_script", "echo", "--user", "idle")
    with pytest.raises(CommandError, match="--user: there is no user 'nobody'"):
        call_command("run_script", "echo", "--user", "nobody")


class Announcing(StringIO):
    """The command's stderr: lets a test wait until a given message has been written."""

    def __init__(self, message):
        super().__init__()
        self.message = message
        self.seen = threading.Event()

    def write(self, text):
        written = super().write(text)
        if self.message in self.getvalue():
            self.seen.set()
        return written


def test_a_run_another_worker_takes_is_followed_to_its_end(user):
    # The script allows one run at a time and one is running: the new run waits, then
    # "another worker" claims it; the command relays what that worker stores.
    make_task(user, script="limited", status=Status.RUNNING)
    out, err = StringIO(), Announcing("waiting for a free slot")

    def other_worker():
        try:
            # Only once the command has tried and been told to wait, so that it is the
            # following, not the claiming, that this test exercises.
            assert err.seen.wait(10)
            pending = Task.objects.pending().get()
            assert Task.claim(pending.pk, "elsewhere:1")
            LogChunk.objects.create(task=pending, offset=0, stream=Stream.STDOUT, data=b"hi\n")
            LogChunk.objects.create(task=pending, offset=3, stream=Stream.STDERR, data=b"oops\n")
            Task.objects.filter(pk=pending.pk).update(log_bytes=8)
            pending.finish(status=Status.FAILED, end_reason=EndReason.EXIT, return_code=3)
        finally:
            connection.close()

    helper = threading.Thread(target=other_worker)
    helper.start()
    with pytest.raises(SystemExit) as exited:
        call_command("run_script", "limited", "--user", "alice", stdout=out, stderr=err)
    helper.join(10)
    assert exited.value.code == 3
    assert out.getvalue() == "hi\n"
    assert "oops\n" in err.getvalue()


def test_ctrl_c_cancels_the_run_and_ends_its_process_group(admin_user, pidfile):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EXECUTOR_SCRIPTS": str(TEST_CATALOG),
        "EXECUTOR_KILL_GRACE": "5",
        "DJANGO_TESTING": "1",
    }
    command = [sys.executable, str(MANAGE), "run_script", "sleeper", "--param"]
    process = subprocess.Popen(
        [*command, f"pidfile={pidfile}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(pidfile.exists, message="the script to start")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert out.decode() == "sleeping\n"
    assert "cancelling the run" in err.decode()
    task = Task.objects.get()
    assert (task.status, task.end_reason) == (Status.CANCELLED, EndReason.CANCELLED)
    # A cancel from the terminal is audited like any other, in the run owner's name.
    cancel = AuditEvent.objects.get(action=AuditAction.CANCEL)
    assert (cancel.task_id, cancel.actor_name) == (task.pk, admin_user.get_username())
    for pid in read_pids(pidfile):
        wait_for(lambda pid=pid: not pid_alive(pid), message=f"process {pid} to end")


@pytest.mark.parametrize(
    ("fields", "signalled", "expected"),
    [
        ({"status": Status.SUCCESS, "end_reason": EndReason.EXIT, "return_code": 0}, None, 0),
        ({"status": Status.FAILED, "end_reason": EndReason.EXIT, "return_code": 3}, None, 3),
        ({"status": Status.FAILED, "end_reason": EndReason.EXIT, "return_code": -9}, None, 137),
        ({"status": Status.FAILED, "end_reason": EndReason.TIMEOUT}, None, 124),
        ({"status": Status.FAILED, "end_reason": EndReason.INTERRUPTED}, None, 125),
        ({"status": Status.FAILED, "end_reason": EndReason.SPAWN_ERROR}, None, 127),
        ({"status": Status.CANCELLED, "end_reason": EndReason.CANCELLED}, None, 130),
        ({"status": Status.CANCELLED, "end_reason": EndReason.CANCELLED}, signal.SIGTERM, 143),
    ],
)
@pytest.mark.django_db
def test_exit_codes_say_how_the_run_ended(fields, signalled, expected):
    assert exit_code(task_row(None, **fields), signalled) == expected


def test_a_file_parameter_takes_a_file_from_the_disk(admin_user, tmp_path):
    table = tmp_path / "week.csv"
    table.write_text("a,b\n")
    code, out, err = run("upload", "--file", f"table={table}")
    assert code == 0, err
    assert json.loads(out)["table"]["text"] == "a,b\n"
    task = Task.objects.get()
    assert task.params == {"table": ["week.csv"]}


def test_a_missing_or_wrong_file_is_a_usage_error(admin_user, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run("upload", "--file", f"table={tmp_path / 'gone.csv'}")
    (tmp_path / "x.exe").write_bytes(b"MZ")
    with pytest.raises(CommandError, match=r"must be one of: \.csv, \.txt"):
        run("upload", "--file", f"table={tmp_path / 'x.exe'}")
    assert not Task.objects.exists()
