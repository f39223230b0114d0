"""Searching a whole log on the server: the count, the match after or before a position
with its number, wrapping at the ends, matches across chunk boundaries, the budget."""

import pytest

from tasks.history import log_search
from tasks.history.logs import BadPosition
from tasks.tests.factories import make_task, write_long_log

pytestmark = pytest.mark.django_db

MARKED = (10, 5_000, 40_000, 99_000)


@pytest.fixture
def task(user):
    task = make_task(user)
    write_long_log(task, 100_000, marked=MARKED, chunk_lines=4096)
    return task


def test_the_first_match_its_number_and_the_count(task):
    found = log_search.search(task.pk, "NEEDLE")  # ASCII case is ignored
    assert (found.count, found.complete, found.index, found.line) == (4, True, 1, 10)


def test_next_and_previous_from_a_match(task):
    third = log_search.search(task.pk, "needle", log_search.search(task.pk, "needle").offset)
    assert (third.index, third.line) == (1, 10)  # at the position itself: that match
    second = log_search.search(task.pk, "needle", third.offset + 1)
    assert (second.index, second.line) == (2, 5_000)
    back = log_search.search(task.pk, "needle", second.offset, backwards=True)
    assert (back.index, back.line) == (1, 10)


def test_the_ends_wrap_around(task):
    last = log_search.search(task.pk, "needle", 0, backwards=True)
    assert (last.index, last.line) == (4, 99_000)
    after_last = log_search.search(task.pk, "needle", last.offset + 1)
    assert (after_last.index, after_last.line) == (1, 10)


def test_a_match_across_two_chunks_is_found(user):
    task = make_task(user, log=[("out", b"first line\nhalf a nee"), ("out", b"dle here\n")])
    found = log_search.search(task.pk, "needle")
    assert (found.count, found.line, found.offset) == (1, 2, len(b"first line\nhalf a "))


def test_no_match(task):
    found = log_search.search(task.pk, "haystack")
    assert (found.count, found.index, found.complete) == (0, None, True)


def test_the_budget_stops_the_search_and_says_so(task):
    found = log_search.search(task.pk, "needle", budget=0)
    assert not found.complete
    assert found.count <= 1


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "type something"),
        ("   ", "type something"),
        ("x" * 201, "at most 200"),
        ("a\x00", "NUL"),
    ],
)
def test_a_query_that_cannot_be_searched_is_refused_with_a_reason(raw, message):
    with pytest.raises(BadPosition, match=message):
        log_search.clean_query(raw)
