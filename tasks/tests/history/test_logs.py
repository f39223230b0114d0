"""Reading a log by byte offset: resuming, gaps left by the cap, limits."""

import pytest

from tasks.history import logs
from tasks.models import LogChunk, Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(user):
    task = Task.objects.create(
        script="echo",
        script_path="echo.py",
        interpreter="py",
        timeout=5,
        user=user,
        user_name="alice",
    )
    for offset, stream, data in [
        (0, "out", b"first\n"),
        (6, "err", b"oops\n"),
        # bytes 11..110 were dropped by the cap
        (111, "out", b"late\n"),
        (116, "out", "naïve\n".encode()),
    ]:
        LogChunk.objects.create(task=task, offset=offset, stream=stream, data=data)
    return task


def test_reading_from_the_start_shows_everything_with_a_marker_for_the_gap(task):
    part = logs.read(task.pk)
    assert [item.stream for item in part.parts] == ["out", "err", "gap", "out", "out"]
    assert "100 bytes of output dropped" in part.parts[2].text
    assert part.text.startswith("first\noops\n")
    assert part.text.endswith("late\nnaïve\n")
    assert part.next_offset == 123


def test_reading_from_an_offset_resumes_exactly_there(task):
    assert logs.read(task.pk, 6).text.startswith("oops\n")
    assert logs.read(task.pk, 116).text == "naïve\n"
    assert logs.read(task.pk, 123).parts == []
    assert logs.read(task.pk, 123).next_offset == 123


def test_an_offset_inside_a_chunk_returns_the_rest_of_it(task):
    part = logs.read(task.pk, 2)
    assert part.parts[0].text == "rst\n"
    assert part.parts[0].offset == 2


def test_an_offset_inside_the_gap_starts_with_the_rest_of_the_gap(task):
    part = logs.read(task.pk, 50)
    assert part.parts[0].stream == "gap"
    assert "61 bytes of output dropped" in part.parts[0].text


def test_a_limit_stops_after_whole_chunks(task):
    part = logs.read(task.pk, 0, limit=5)
    assert part.text == "first\n"
    assert part.next_offset == 6


def test_the_download_text_is_the_whole_log_with_markers(task):
    text = "".join(logs.iter_text(task.pk))
    assert text == logs.read(task.pk).text
