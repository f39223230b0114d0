"""A run's output (output.py): pipes to chunks, progress, tails, the exception line."""

import time

import pytest

from tasks import services
from tasks.executor.log_writer import LogWriter
from tasks.executor.output import QUIET_SPELL, TAIL_BYTES, Output, tail_text
from tasks.history import logs
from tasks.models import EndReason, LogChunk, Status, Stream, Task
from tasks.tests.helpers import wait_finished, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def run(user, script, params=None, args=None):
    task = services.execute(user, script, params or {}, args or [])
    return wait_finished(task.pk)


def test_a_failing_script_records_its_exception_line(inline, user):
    task = run(user, "fail")
    assert task.status == Status.FAILED
    assert task.end_reason == EndReason.EXIT
    assert task.return_code == 1
    assert task.exception == "RuntimeError: report failed"
    assert "ValueError: the numbers do not add up" in task.stderr_tail


def test_progress_follows_step_markers_and_ends_at_100(inline, user):
    task = run(user, "lines", {"count": 4})
    assert task.progress == 100
    assert task.progress_message == "line 4"


def test_a_script_without_markers_has_unknown_progress_until_it_succeeds(engine, user):
    task = services.execute(user, "partial", {}, [])
    wait_for(lambda: Task.objects.get(pk=task.pk).status == Status.RUNNING)
    assert Task.objects.get(pk=task.pk).progress is None
    assert wait_finished(task.pk).progress == 100


def test_flooding_both_pipes_at_once_neither_deadlocks_nor_loses_a_byte(inline, user):
    task = run(user, "flood", {"stdout_mb": 3, "stderr_mb": 3})
    assert task.status == Status.SUCCESS
    assert task.log_bytes == 6 * 1024 * 1024
    out = b"".join(bytes(c.data) for c in LogChunk.objects.filter(task=task, stream=Stream.STDOUT))
    err = b"".join(bytes(c.data) for c in LogChunk.objects.filter(task=task, stream=Stream.STDERR))
    assert out == (b"o" * 63 + b"\n") * (3 * 1024 * 1024 // 64)
    assert err == (b"e" * 63 + b"\n") * (3 * 1024 * 1024 // 64)


def test_chunks_hold_whole_lines_so_streams_interleave_cleanly(inline, user):
    task = run(user, "flood", {"stdout_mb": 0.5, "stderr_mb": 0.5})
    for chunk in LogChunk.objects.filter(task=task):
        assert bytes(chunk.data).endswith(b"\n")
        assert set(bytes(chunk.data)) <= set(b"o\n") or set(bytes(chunk.data)) <= set(b"e\n")


def test_output_streams_live_without_pythonunbuffered_in_the_servers_environment(
    engine, user, monkeypatch
):
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    task = services.execute(user, "lines", {"count": 3, "delay": 1.5}, [])
    # The first line is stored while the script still sleeps before its second.
    wait_for(lambda: "line 1" in logs.read(task.pk).text, timeout=5, message="the first line")
    current = Task.objects.get(pk=task.pk)
    assert current.status == Status.RUNNING
    assert "line 2" not in logs.read(task.pk).text
    assert current.progress == 33
    wait_finished(task.pk)


def test_a_partial_line_is_shown_before_its_newline_arrives(engine, user):
    task = services.execute(user, "partial", {}, [])
    wait_for(lambda: "working..." in logs.read(task.pk).text, timeout=5, message="partial line")
    row = Task.objects.get(pk=task.pk)
    chunks = list(LogChunk.objects.filter(task=task).values_list("offset", "data", "at"))
    assert row.status == Status.RUNNING, (row.started_at, row.completed_at, chunks)
    done = wait_finished(task.pk)
    assert logs.read(done.pk).text == "working... done\n"


def test_the_log_cap_keeps_the_beginning_and_the_end_and_counts_the_rest(inline, user, settings):
    settings.EXECUTOR_MAX_LOG_BYTES = 64 * 1024
    task = run(user, "flood", {"stdout_mb": 1, "stderr_mb": 0})
    assert task.status == Status.SUCCESS
    total = 1024 * 1024
    stored = sum(len(c.data) for c in LogChunk.objects.filter(task=task))
    assert stored <= 64 * 1024
    assert task.log_bytes == total
    assert task.log_dropped_bytes == total - stored
    text = logs.read(task.pk).text
    assert text.startswith("o" * 63 + "\n")
    assert f"{total - stored:,} bytes of output dropped here" in text
    assert text.endswith("o" * 63 + "\n")


def test_viewers_still_see_the_live_tail_of_a_capped_run(engine, user, settings):
    settings.EXECUTOR_MAX_LOG_BYTES = 8 * 1024
    task = services.execute(user, "lines", {"count": 600, "delay": 0.005}, [])
    # A line from after the cap filled up is readable while the script still runs.
    wait_for(lambda: "line 400" in logs.read(task.pk).text, timeout=20, message="a late line")
    done = wait_finished(task.pk)
    assert done.log_dropped_bytes > 0
    assert logs.read(task.pk).text.endswith("[600/600] line 600\n")


# output.py on its own: an Output fed by hand, its chunks never written.


def collector(secrets=(), echo=None):
    return Output(LogWriter("t", 1024 * 1024, secrets=secrets), (None, ""), echo)


def stored(output):
    new, _ = output.writer.take()
    return [(chunk.stream, chunk.data) for chunk in new]


def test_whole_lines_go_on_and_a_partial_line_waits_for_its_end():
    output = collector()
    output.received(Stream.STDOUT, b"one\ntw")
    assert stored(output) == [(Stream.STDOUT, b"one\n")]
    output.received(Stream.STDOUT, b"o\nthr")
    assert stored(output) == [(Stream.STDOUT, b"two\n")]
    assert output.end_stream(Stream.STDOUT) is True
    assert stored(output) == [(Stream.STDOUT, b"thr")]
    assert output.end_stream(Stream.STDOUT) is False


def test_a_flush_passes_partial_lines_on_once_their_stream_is_quiet():
    output = collector()
    output.received(Stream.STDERR, b"working...")
    assert stored(output) == []
    arrived = time.monotonic()
    # Still flooding: the partial line waits for its newline, and says until when.
    assert output.flush_partials(arrived) == pytest.approx(arrived + QUIET_SPELL, abs=0.05)
    assert stored(output) == []
    assert output.flush_partials(arrived + QUIET_SPELL + 0.01) is None
    assert stored(output) == [(Stream.STDERR, b"working...")]


def test_during_a_flood_a_line_of_one_stream_is_never_cut_by_the_other():
    output = collector()
    output.received(Stream.STDOUT, b"out one\nout tw")
    output.received(Stream.STDERR, b"err one\n")
    output.flush_partials(time.monotonic())  # a write during the flood
    output.received(Stream.STDOUT, b"o\n")
    assert [data for _, data in stored(output)] == [b"out one\n", b"err one\n", b"out two\n"]


def test_progress_and_tails_are_in_the_row_fields_only_when_they_changed():
    output = collector()
    output.received(Stream.STDOUT, b"[1/4] first\n")
    fields = output.row_fields()
    assert (fields["progress"], fields["progress_message"]) == (25, "first")
    assert fields["stdout_tail"] == "[1/4] first\n"
    assert fields["log_bytes"] == 12
    output.written()
    assert set(output.row_fields()) == {"log_bytes", "log_dropped_bytes"}
    output.succeeded()
    assert output.row_fields()["progress"] == 100


def test_the_tail_keeps_the_last_bytes_without_a_broken_character():
    output = collector()
    output.received(Stream.STDOUT, "é".encode() * TAIL_BYTES + b"\n")
    tail = output.row_fields()["stdout_tail"]
    assert tail.endswith("é\n")
    assert "\ufffd" not in tail
    assert tail_text(b"\xa9ok") == "ok"


def test_the_exception_line_and_the_echo_see_the_output_masked():
    echoed = []
    output = collector(secrets=["hunter2"], echo=lambda stream, data: echoed.append(data))
    output.received(
        Stream.STDERR,
        b"Traceback (most recent call last):\n  File 'x'\nValueError: hunter2 is wrong\n",
    )
    output.close()
    assert output.exception_line == "ValueError: **** is wrong"
    assert b"hunter2" not in b"".join(echoed)
