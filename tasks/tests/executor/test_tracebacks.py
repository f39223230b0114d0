"""The exception line of a Python traceback, found in stderr as it arrives."""

from tasks.executor.tracebacks import ExceptionLineFinder

TRACEBACK = b"""Traceback (most recent call last):
  File "/srv/job.py", line 3, in <module>
    main()
    ~~~~^^
  File "/srv/job.py", line 2, in main
    raise KeyError("user")
KeyError: 'user'
"""


def test_it_finds_the_exception_line():
    finder = ExceptionLineFinder()
    finder.feed(TRACEBACK)
    assert finder.line == "KeyError: 'user'"


def test_a_traceback_split_across_reads_is_still_found():
    finder = ExceptionLineFinder()
    finder.feed(TRACEBACK[:60])
    finder.feed(TRACEBACK[60:])
    assert finder.line == "KeyError: 'user'"


def test_the_last_of_chained_exceptions_wins():
    chained = (
        TRACEBACK
        + b"\nDuring handling of the above exception, another exception occurred:\n\n"
        + TRACEBACK.replace(b"KeyError: 'user'", b"RuntimeError: lookup failed")
    )
    finder = ExceptionLineFinder()
    finder.feed(chained)
    assert finder.line == "RuntimeError: lookup failed"


def test_output_without_a_traceback_leaves_it_empty():
    finder = ExceptionLineFinder()
    finder.feed(b"Error: this is not a traceback\nValueError: nor this\n")
    assert finder.line == ""


def test_a_last_line_without_a_newline_counts_when_the_stream_ends():
    finder = ExceptionLineFinder()
    finder.feed(TRACEBACK.rstrip(b"\n"))
    assert finder.line == ""
    finder.close()
    assert finder.line == "KeyError: 'user'"
