"""How a run ended in the row's words (ending.py), and a supervisor that fails on the way."""

import pytest

from tasks import services
from tasks.executor import ending
from tasks.executor.output import Output
from tasks.models import EndReason, Status
from tasks.tests.helpers import pid_alive, read_pids, wait_finished, wait_for


@pytest.mark.parametrize(
    ("stop_reason", "code", "expected"),
    [
        (None, 0, (Status.SUCCESS, EndReason.EXIT)),
        (None, 3, (Status.FAILED, EndReason.EXIT)),
        (EndReason.TIMEOUT, -15, (Status.FAILED, EndReason.TIMEOUT)),
        (EndReason.CANCELLED, -15, (Status.CANCELLED, EndReason.CANCELLED)),
        (EndReason.INTERRUPTED, -9, (Status.FAILED, EndReason.INTERRUPTED)),
    ],
)
def test_end_of_says_status_and_reason(stop_reason, code, expected):
    assert ending.end_of(stop_reason, code) == expected


def test_end_fields_explain_a_timeout_and_a_stop():
    assert ending.end_fields(EndReason.TIMEOUT, -15, 2.5)["error"] == (
        "stopped after its timeout of 2.5 s"
    )
    assert ending.end_fields(EndReason.INTERRUPTED, -9, 1)["error"] == ending.STOPPED_MESSAGE
    assert "error" not in ending.end_fields(None, 0, 1)


def test_end_fields_name_the_exception_column_only_for_an_exception_line():
    assert "exception" not in ending.end_fields(None, 1, 1, "")
    assert ending.end_fields(None, 1, 1, "KeyError: 'x'")["exception"] == "KeyError: 'x'"


@pytest.mark.django_db(transaction=True)
def test_a_supervisor_that_fails_kills_the_tree_and_records_why(engine, user, pidfile, monkeypatch):
    def boom(self, stream, data):
        raise RuntimeError("boom")

    monkeypatch.setattr(Output, "received", boom)
    task = services.execute(user, "sleeper", {"pidfile": str(pidfile)}, [])
    done = wait_finished(task.pk, timeout=15)
    assert (done.status, done.end_reason) == (Status.FAILED, EndReason.INTERRUPTED)
    assert done.error == "the supervisor failed: RuntimeError: boom"
    wait_for(pidfile.exists, message="the pid file")
    for pid in read_pids(pidfile):
        wait_for(lambda pid=pid: not pid_alive(pid), timeout=5, message=f"{pid} to die")
