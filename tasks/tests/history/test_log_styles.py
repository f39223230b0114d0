"""The colours in force at an offset of a log, per stream, for a window fetched from the
middle: the SGR codes since each stream's last reset."""

import pytest

from tasks.history import log_styles
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


def test_a_plain_log_is_plain_everywhere(user):
    task = make_task(user, log=[("out", b"one\n"), ("err", b"two\n")])
    assert log_styles.styles_at(task.pk, 8) == {"out": "", "err": ""}


def test_the_codes_since_the_last_reset_carry_over_chunks(user):
    task = make_task(
        user,
        log=[
            ("out", b"\x1b[32mgreen\x1b[0m plain \x1b[1mbold\n"),
            ("err", b"\x1b[38;5;0mblack on \x1b[48:2:1:2:3mtrue colour\n"),
            ("out", b"still bold, now \x1b[31mred\n"),
            ("out", b"later\n"),
        ],
    )
    end = task.log_bytes
    # 38;5;0: the 0 is a colour, not a reset; colons read as semicolons.
    assert log_styles.styles_at(task.pk, end) == {"out": "1;31", "err": "38;5;0;48;2;1;2;3"}
    assert log_styles.styles_at(task.pk, 0) == {"out": "", "err": ""}


def test_a_reset_inside_a_sequence_or_an_empty_one_clears(user):
    task = make_task(
        user, log=[("out", b"\x1b[1;31mx\x1b[0;4my\n"), ("err", b"\x1b[31mz\x1b[mw\n")]
    )
    assert log_styles.styles_at(task.pk, task.log_bytes) == {"out": "4", "err": ""}


def test_the_state_is_the_one_at_the_offset_not_at_the_end(user):
    task = make_task(user, log=[("out", b"\x1b[33mamber\n"), ("out", b"\x1b[0mplain\n")])
    first_chunk_end = len(b"\x1b[33mamber\n")
    assert log_styles.styles_at(task.pk, first_chunk_end) == {"out": "33", "err": ""}
    assert log_styles.styles_at(task.pk, first_chunk_end + 4) == {"out": "", "err": ""}
