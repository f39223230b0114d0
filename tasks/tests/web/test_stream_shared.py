"""Viewers of one run in one process share its batches: the second viewer's read of
the output is the first one's (no query for it), and both get the same log; viewers
asking at once share one read."""

import threading
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.history import logs
from tasks.tests.factories import make_task
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
