"""Progress read from output: the protocol line, step markers, tqdm bars."""

import pytest

from tasks.executor.progress import last_progress, parse_line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("::progress 40 Loading data", (40, "Loading data")),
        ("::progress 40% Loading data", (40, "Loading data")),
        ("::progress 12.7", (12, "")),
        ("::progress 3/8 Loading", (37, "Loading")),
        ("::progress 250", (100, "")),
        ("::progress 0/0 nothing to do", (None, "nothing to do")),
        ("[3/10] Processing item", (30, "Processing item")),
        ("[2026-11-29 10:00:00] [3/10] step", (30, "step")),
        ("[ 7 / 20 ]", (35, "")),
        ("\x1b[32m[5/10] green\x1b[0m", (50, "green")),
        ("Loading:  40%|████      | 4/10 [00:01<00:02, 3.99it/s]", (40, "Loading")),
        (" 73%|███████▎  | 73/100 [00:07<00:02]", (73, "")),
        ("x\r 10%|#    |\r 20%|##   |", (20, "")),
    ],
)
def test_a_line_reports_progress(line, expected):
    assert parse_line(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "plain output",
        "50% done",  # a percentage without a bar is just text
        "x ::progress 5",  # the protocol line must start the line
        "ratio 3/10 is low",  # steps need their brackets
        "[x/10] not a step",
        "",
    ],
)
def test_a_line_without_a_report_has_none(line):
    assert parse_line(line) is None


def test_the_last_report_in_a_block_wins_whatever_its_kind():
    block = b"[1/4] a\n::progress 60 b\nnoise\n 80%|####| 8/10\nmore noise\n"
    assert last_progress(block) == (80, "")
    assert last_progress(b"::progress 90 x\n[1/4] a\n") == (25, "a")


def test_a_million_plain_lines_are_scanned_quickly():
    # Not a timing assertion: this completes in milliseconds, and in seconds if the
    # scan ever falls back to trying a regular expression at every byte.
    block = b"".join(b"line %07d of plain output without markers\n" % n for n in range(200_000))
    assert last_progress(block) is None


def test_messages_are_cut_to_a_reasonable_length():
    assert len(parse_line("[1/2] " + "x" * 1000)[1]) == 200
