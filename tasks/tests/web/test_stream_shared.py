"""Viewers of one run in one process share its batches: the second viewer's read of
the output is the first one's (no query for it), and both get the same log; viewers
asking at once share one read."""

import threading
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks import live
from tasks.history import logs
from tasks.models import Status, Task
from tasks.tests.factories import make_task, write_log
from tasks.tests.helpers import wait_for
from tasks.web import stream, stream_batches

LOG = "".join(f"line {number}\n" for number in range(200_000))  # several batches
CHUNKS = [("out", LOG.encode()[start : start + 65536]) for start in range(0, len(LOG), 65536)]


def drain(follower):
    events = []
    while True:
        batch_events, _, ended = follower.step()
        events += batch_events
        if ended:
            return events


def log_of(events):
    return "".join(text for name, _, b in events if name == "log" for _, text in b.data["parts"])


@pytest.mark.django_db
def test_a_second_viewer_reads_the_output_from_the_first_ones_batches(user, monkeypatch):
    monkeypatch.setattr(stream, "SHARED", stream_batches.SharedBatches())
    task = make_task(user, log=CHUNKS)
    first = drain(stream.Follower(task.pk, 0))
    with CaptureQueriesContext(connection) as queries:
        second = drain(stream.Follower(task.pk, 0))
    assert log_of(first) == log_of(second) == LOG
    assert not [q for q in queries.captured_queries if "logchunk" in q["sql"].lower()]
    assert len(stream.SHARED) >= 1


@pytest.mark.django_db
def test_shared_batches_stay_within_their_size(user, monkeypatch):
    shared = stream_batches.SharedBatches(max_bytes=1)
    monkeypatch.setattr(stream, "SHARED", shared)
    task = make_task(user, log=CHUNKS)
    assert log_of(drain(stream.Follower(task.pk, 0))) == LOG
    assert len(shared) <= 1


def test_viewers_asking_for_a_batch_being_read_wait_for_that_read(monkeypatch):
    """Fifty viewers at the live end wake together on new output: one read and one
    encoding of the new batch, not fifty of each (they kept the run's reader from the
    interpreter lock)."""
    calls = []
    started = threading.Event()

    def slow_read(task_id, offset, limit):
        calls.append(offset)
        started.set()
        time.sleep(0.3)  # the others ask meanwhile
        part = logs.Part(offset, "out", "new line\n", 1)
        return logs.LogSlice(offset, offset + 9, [part])

    monkeypatch.setattr(stream_batches.logs, "read", slow_read)
    shared = stream_batches.SharedBatches()
    got = []
    first = threading.Thread(target=lambda: got.append(shared.read("run", 0)))
    first.start()
    assert started.wait(5)
    others = [threading.Thread(target=lambda: got.append(shared.read("run", 0))) for _ in range(9)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(5)
    assert calls == [0]
    assert len(got) == 10
    assert all(batch is got[0] for batch in got)
    assert got[0].encoded().startswith(b"event: log\nid: 9\n")


@pytest.mark.django_db
def test_a_shared_batch_that_ended_at_an_earlier_live_end_is_read_past_at_once(user, monkeypatch):
    """The second viewer gets the first one's batch, which ended where the log ended
    then: the row says more was written since, so it reads on instead of waiting for
    news (after the run's last write there is none: it waited 5 s)."""
    monkeypatch.setattr(stream, "SHARED", stream_batches.SharedBatches())
    task = make_task(user, status=Status.RUNNING, log=[("out", b"one\n")])
    stream.Follower(task.pk, 0).step()
    write_log(task, [("out", b"two\n")])
    Task.objects.filter(pk=task.pk).update(status=Status.SUCCESS)
    live.notify(task.pk)  # as the supervisor does after each write
    second = stream.Follower(task.pk, 0)
    events, more, ended = second.step()
    assert (more, ended) == (True, False)
    rest, more, ended = second.step()
    assert ended
    assert log_of(events + rest) == "one\ntwo\n"


@pytest.mark.django_db
def test_a_viewer_behind_reads_the_row_again_before_it_waits(user, monkeypatch):
    """Catching up, a viewer reads the row only now and then; at the end that older row
    knew of, it looks at the row again rather than wait for writes already made."""
    monkeypatch.setattr(stream, "SHARED", stream_batches.SharedBatches())
    over = stream_batches.STREAM_BATCH_BYTES // 65536 + 1  # chunks: more than a batch
    task = make_task(user, status=Status.RUNNING, log=CHUNKS[:over])
    viewer = stream.Follower(task.pk, 0)
    _, more, _ = viewer.step()
    assert more  # a full batch: behind
    write_log(task, CHUNKS[over : over + 1])
    Task.objects.filter(pk=task.pk).update(status=Status.SUCCESS)
    live.notify(task.pk)
    _, more, ended = viewer.step()  # up to what the older row said was written
    assert (more, ended) == (True, False)
    _, _, ended = viewer.step()
    assert ended


@pytest.mark.django_db
def test_viewers_share_a_row_read_until_the_run_writes_again(user, monkeypatch):
    monkeypatch.setattr(stream_batches, "ROW_SHARED_FOR", 60.0)  # however slow this machine
    task = make_task(user, status=Status.RUNNING, log=[("out", b"one\n")])
    live.notify(task.pk)
    stream.Follower(task.pk, 0).step()
    with CaptureQueriesContext(connection) as queries:
        stream.Follower(task.pk, 0).step()
    assert not [q for q in queries.captured_queries if "tasks_task" in q["sql"].lower()]
    live.notify(task.pk)  # a write: the next viewer reads the row itself
    with CaptureQueriesContext(connection) as queries:
        stream.Follower(task.pk, 0).step()
    assert [q for q in queries.captured_queries if "tasks_task" in q["sql"].lower()]


@pytest.mark.django_db(transaction=True)
def test_viewers_asking_for_the_row_while_it_is_read_wait_for_that_read(user, monkeypatch):
    """All the viewers of a run wake on the same write: one row read, not one each."""
    rows = stream_batches.SharedRows()
    reads = []
    drawn = stream_batches.task_state

    def slow_state(task):
        reads.append(task.pk)
        time.sleep(0.3)  # the others ask meanwhile
        return drawn(task)

    monkeypatch.setattr(stream_batches, "task_state", slow_state)
    task = make_task(user, status=Status.RUNNING)
    got = []

    def view():
        try:
            got.append(rows.read(task.pk, 7))
        finally:
            connection.close()  # this thread's own connection

    first = threading.Thread(target=view)
    first.start()
    wait_for(lambda: reads, message="the first read")
    others = [threading.Thread(target=view) for _ in range(9)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(5)
    assert reads == [task.pk]
    assert len(got) == 10
    assert all(row is got[0][0] and state is got[0][1] for row, state in got)
    assert got[0][0].pk == task.pk


def test_a_viewer_given_an_empty_shared_read_reads_for_itself(monkeypatch):
    """The read it waited for may have begun before this viewer read the row, which
    says more was written: an empty batch from it would have this viewer wait for news
    after the run's last write (OWN_RUN_TIMEOUT, 5 s)."""
    written = threading.Event()
    started = threading.Event()

    def read(task_id, offset, limit):
        if not written.is_set():
            started.set()
            time.sleep(0.3)  # the output and the row are written meanwhile
            return logs.LogSlice(offset, offset, [])
        return logs.LogSlice(offset, offset + 9, [logs.Part(offset, "out", "new line\n", 1)])

    monkeypatch.setattr(stream_batches.logs, "read", read)
    shared = stream_batches.SharedBatches()
    first = threading.Thread(target=lambda: shared.read("run", 0))
    first.start()
    assert started.wait(5)
    got = []
    second = threading.Thread(target=lambda: got.append(shared.read("run", 0)))
    second.start()
    written.set()  # before the second viewer's batch read, after the first one began
    first.join(5)
    second.join(5)
    assert [batch.data["parts"] for batch in got] == [[["out", "new line\n"]]]
