"""Viewers of one run in one process share its batches: the second viewer's read of
the output is the first one's (no query for it), and both get the same log."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.tests.factories import make_task
from tasks.web import stream

LOG = "".join(f"line {number}\n" for number in range(200_000))  # several batches
CHUNKS = [("out", LOG.encode()[start : start + 65536]) for start in range(0, len(LOG), 65536)]

pytestmark = pytest.mark.django_db


def drain(follower):
    events = []
    while True:
        batch_events, _, ended = follower.step()
        events += batch_events
        if ended:
            return events


def log_of(events):
    return "".join(text for name, _, b in events if name == "log" for _, text in b.data["parts"])


def test_a_second_viewer_reads_the_output_from_the_first_ones_batches(user, monkeypatch):
    monkeypatch.setattr(stream, "SHARED", stream.SharedBatches())
    task = make_task(user, log=CHUNKS)
    first = drain(stream.Follower(task.pk, 0))
    with CaptureQueriesContext(connection) as queries:
        second = drain(stream.Follower(task.pk, 0))
    assert log_of(first) == log_of(second) == LOG
    assert not [q for q in queries.captured_queries if "logchunk" in q["sql"].lower()]
    assert len(stream.SHARED) >= 1


def test_shared_batches_stay_within_their_size(user, monkeypatch):
    shared = stream.SharedBatches(max_bytes=1)
    monkeypatch.setattr(stream, "SHARED", shared)
    task = make_task(user, log=CHUNKS)
    assert log_of(drain(stream.Follower(task.pk, 0))) == LOG
    assert len(shared) <= 1
