"""`::artifact path` and `::summary text`: the lines of a run's output that name a file
to keep or add a line to its summary (workdir.py keeps them)."""

import re
from collections.abc import Iterable

from tasks.models import Stream

DIRECTIVE = re.compile(rb"^::(artifact|summary)(?:[ \t]+(.*?))?[ \t]*\r?$")
MAX_DIRECTIVE_LINE = 4096  # a longer line is no directive (and is not kept waiting for one)


class Directives:
    """`::artifact` and `::summary` lines, found in the output as it is stored."""

    def __init__(self) -> None:
        self.artifacts: list[str] = []
        self.summary: list[str] = []
        self._partial: dict[str, bytes] = {Stream.STDOUT: b"", Stream.STDERR: b""}

    def feed(self, stream: str, data: bytes) -> None:
        """Complete lines are looked at, a partial last one waits for the rest of it.

        Only lines that start with `::` are looked at one by one, found by a search for
        them (bytes.find, at C speed): splitting the piece into lines made a Python call
        per line, a third of the engine's time for a million-line run, and a multi-line
        regular expression tried a match at every byte."""
        partial = self._partial.get(stream, b"")
        buffer = partial + data if partial else data
        cut = buffer.rfind(b"\n") + 1
        rest = buffer[cut:]
        self._partial[stream] = rest if len(rest) <= MAX_DIRECTIVE_LINE else b""
        for line in _lines_starting_with_colons(buffer, cut):
            self._line(line)

    def close(self) -> None:
        for stream, rest in self._partial.items():
            self._line(rest)
            self._partial[stream] = b""

    def _line(self, line: bytes) -> None:
        if not line.startswith(b"::") or len(line) > MAX_DIRECTIVE_LINE:
            return
        match = DIRECTIVE.match(line)
        if match is None:
            return
        value = (match.group(2) or b"").decode("utf-8", "replace")
        if match.group(1) == b"summary":
            self.summary.append(value)
        elif value:
            self.artifacts.append(value)


def _lines_starting_with_colons(buffer: bytes, end: int) -> Iterable[bytes]:
    """The lines of buffer[:end] (which ends with a newline) that start with `::`."""
    if not end:
        return
    newline = -1  # the newline before the line to look at (-1: the buffer's start)
    if not buffer.startswith(b"::"):
        newline = buffer.find(b"\n::", 0, end)
        if newline == -1:
            return
    while True:
        stop = buffer.find(b"\n", newline + 1, end)
        yield buffer[newline + 1 : stop]
        newline = buffer.find(b"\n::", stop, end)
        if newline == -1:
            return
