"""The window on a long log: a line's offset from the sparse index, slices of whole lines
after and before an offset, and the log's size in lines."""

import pytest

from tasks.history import log_window
from tasks.models import LogChunk
from tasks.tests.factories import make_task, write_long_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def long_task(user):
    task = make_task(user)
    # 100,000 lines in chunks of 4096 lines: "line 1\n" ... "line 100000\n"
    write_long_log(task, 100_000, chunk_lines=4096)
    return task


def text_of(pieces):
    return b"".join(piece.data for piece in pieces).decode()


def offset_of_line(number):
    """Where line `number` starts in the log write_long_log wrote."""
    return sum(len(b"line %d\n" % n) for n in range(1, number))


@pytest.mark.parametrize("number", [1, 2, 4096, 4097, 4098, 50_000, 99_999, 100_000])
def test_a_line_starts_where_its_text_does(long_task, number):
    assert log_window.line_start(long_task.pk, number) == offset_of_line(number)


def test_no_line_past_the_end(long_task):
    assert log_window.line_start(long_task.pk, 100_001) is None
    assert log_window.extent(long_task.pk) == (offset_of_line(100_001), 100_000)


def test_after_returns_whole_lines_numbered_from_the_offset(long_task):
    pieces = log_window.after(long_task.pk, offset_of_line(50_000))
    text = text_of(pieces)
    assert text.startswith("line 50000\n")
    assert text.endswith("\n")
    assert pieces[0].line == 50_000
    assert log_window.WINDOW_BYTES <= len(text.encode()) <= log_window.WINDOW_BYTES + 64 * 1024


def test_before_returns_the_whole_lines_that_end_at_the_offset(long_task):
    pieces = log_window.before(long_task.pk, offset_of_line(50_000))
    text = text_of(pieces)
    assert text.endswith("line 49999\n")
    first = int(text.split("\n", 1)[0].split()[1])
    assert pieces[0].line == first  # the slice starts on a whole line, numbered right
    assert text.startswith(f"line {first}\n")


def test_the_window_reports_lines_times_and_the_log_size(long_task):
    start = log_window.line_start(long_task.pk, 12_345)
    window = log_window.as_window(long_task.pk, log_window.after(long_task.pk, start), requested=0)
    assert window["line"] == 12_345
    assert window["offset"] == start
    assert window["total_lines"] == 100_000
    stream, text, at, line = window["parts"][0]
    assert (stream, line) == ("out", 12_345)
    assert text.startswith("line 12345\n")
    assert isinstance(at, int)


def test_a_gap_left_by_the_cap_is_marked_and_the_lines_after_it_keep_their_numbers(user):
    task = make_task(user)
    LogChunk.objects.create(task=task, offset=0, stream="out", data=b"a\nb\n", line=0)
    # bytes 4..103 (50 lines) were dropped by the cap
    LogChunk.objects.create(task=task, offset=104, stream="out", data=b"c\nd\n", line=52)
    assert log_window.line_start(task.pk, 53) == 104
    assert log_window.line_start(task.pk, 54) == 106
    assert log_window.line_start(task.pk, 10) == 104  # a dropped line: where output resumes
    window = log_window.as_window(task.pk, log_window.after(task.pk, 0), requested=0)
    assert [part[0] for part in window["parts"]] == ["out", "gap", "out"]
    assert window["parts"][2][3] == 53
    assert window["total_lines"] == 54


def test_the_window_before_a_line_numbers_its_parts_right(long_task):
    end = log_window.line_start(long_task.pk, 50_000)
    window = log_window.as_window(long_task.pk, log_window.before(long_task.pk, end), requested=end)
    for _, text, _, line in window["parts"]:
        assert text.startswith(f"line {line}\n")
    assert window["parts"][-1][1].endswith("line 49999\n")
