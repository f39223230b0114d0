"""The kept head of a capped log ends at a line boundary; one line longer than the whole
head is cut there, and the gap marker says so."""

import re

import pytest

from tasks import services
from tasks.executor.log_writer import LogWriter
from tasks.history import logs
from tasks.models import LogChunk, Status
from tasks.tests.factories import make_task
from tasks.tests.helpers import wait_finished

pytestmark = pytest.mark.django_db(transaction=True)

LINE = re.compile(r"\[\d+/3000\] line \d+")


def test_a_capped_runs_head_ends_with_a_whole_line(inline, user, settings):
    settings.EXECUTOR_MAX_LOG_BYTES = 8 * 1024  # a head of 2 KiB
    task = wait_finished(services.execute(user, "lines", {"count": 3000}, []).pk)
    assert task.status == Status.SUCCESS
    assert task.log_dropped_bytes > 0
    text = logs.read(task.pk).text
    head, marker, _ = re.split(r"\n(\[… [\d,]+ bytes of output dropped here[^\]]*\])\n", text)
    assert head.endswith("\n")  # the newline before the marker is the head's own
    assert all(LINE.fullmatch(line) for line in head.splitlines())
    assert 1024 < len(head) <= 2048
    assert "cut" not in marker


def store(task, writer):
    new, _ = writer.take()
    LogChunk.objects.bulk_create(new)


def test_one_line_longer_than_the_head_is_cut_and_the_marker_says_so(user):
    task = make_task(user)
    writer = LogWriter(task.pk, 4000)  # a head of 1000 bytes
    writer.append("out", b"a" * 5000 + b"\n")
    for number in range(200):
        writer.append("out", b"line %d\n" % number)
    store(task, writer)
    text = logs.read(task.pk).text
    assert text.startswith("a" * 1000 + "\n[… ")
    assert "dropped here (the line above was cut)" in text
    assert "".join(logs.iter_text(task.pk)) == text
    assert text.endswith("line 199\n")


def test_a_line_that_would_overflow_the_head_starts_the_tail(user):
    task = make_task(user)
    writer = LogWriter(task.pk, 400)  # a head of 100 bytes
    writer.append("out", b"h" * 59 + b"\n")  # 60 bytes: the head has 40 left
    writer.append("err", b"e" * 79 + b"\n")  # longer than what is left: all of it to the tail
    assert writer.head_limit == 60
    for number in range(100):
        writer.append("out", b"t%d\n" % number)
    store(task, writer)
    text = logs.read(task.pk).text
    assert text.startswith("h" * 59 + "\n\n[… ")
    assert "cut" not in text
