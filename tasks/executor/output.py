"""A run's output on its way from the pipes to the database: LogWriter chunks, progress
markers, each stream's tail, the exception line, the terminal echo.

Everything derived from the output sees it as stored: with secret values masked.
"""

import time
from collections.abc import Callable
from typing import Any

from tasks.executor.log_writer import LogWriter, utf8_boundary
from tasks.executor.progress import last_progress
from tasks.executor.text import decode
from tasks.executor.tracebacks import ExceptionLineFinder
from tasks.models import MAX_CHUNK, Stream

TAIL_BYTES = 4096
# A partial line is passed on alone only after its stream has been quiet this long, so
# that a line of one stream is not cut by a line of the other during a flood.
QUIET_SPELL = 0.1

Echo = Callable[[str, bytes], None]


class Output:
    """Collects one run's output, line by line, per stream, in arrival order."""

    def __init__(
        self,
        writer: LogWriter,
        progress: tuple[int | None, str],
        echo: Echo | None = None,
    ) -> None:
        self.writer = writer
        self.echo = echo  # callable(stream, bytes): run_script tees output to the terminal
        self.progress = progress
        self._progress_dirty = False
        self._partial: dict[str, bytes] = {Stream.STDOUT: b"", Stream.STDERR: b""}
        self._last_data: dict[str, float] = {Stream.STDOUT: 0.0, Stream.STDERR: 0.0}
        self._tails: dict[str, bytes] = {Stream.STDOUT: b"", Stream.STDERR: b""}
        self._tails_dirty = False
        self._exceptions = ExceptionLineFinder()

    @property
    def pending_bytes(self) -> int:
        return self.writer.pending_bytes

    @property
    def exception_line(self) -> str:
        return self._exceptions.line

    def received(self, stream: str, data: bytes) -> None:
        """Bytes read from a pipe: complete lines go on, a partial line waits (up to a
        chunk's worth) for the rest of it."""
        self._last_data[stream] = time.monotonic()
        buffer = self._partial[stream] + data if self._partial[stream] else data
        cut = buffer.rfind(b"\n") + 1
        cut = buffer.rfind(b"\r", cut) + 1 or cut  # only after the last newline: no rescan
        if not cut and len(buffer) > MAX_CHUNK:
            cut = self.writer.safe_length(buffer[: utf8_boundary(buffer, len(buffer))])
        self._partial[stream] = buffer[cut:]
        if cut:
            self._emit(stream, buffer[:cut])

    def end_stream(self, stream: str) -> bool:
        """The pipe closed: its partial last line goes on. True when there was one."""
        if not self._partial[stream]:
            return False
        self._emit(stream, self._partial[stream])
        self._partial[stream] = b""
        return True

    def flush_partials(self, now: float | None = None) -> float | None:
        """Pass on the partial lines of the streams that have been quiet for QUIET_SPELL
        (a viewer sees a prompt before its newline). Returns when a partial line held
        back should be looked at again, or None when none is."""
        now = time.monotonic() if now is None else now
        again = None
        for stream, data in self._partial.items():
            if not data:
                continue
            quiet_at = self._last_data[stream] + QUIET_SPELL
            if now < quiet_at:
                again = quiet_at if again is None else min(again, quiet_at)
                continue
            cut = self.writer.safe_length(data[: utf8_boundary(data, len(data))])
            if cut:
                self._emit(stream, data[:cut])
                self._partial[stream] = data[cut:]
        return again

    def succeeded(self) -> None:
        """A successful run ends at 100 %."""
        self.progress = (100, self.progress[1])
        self._progress_dirty = True

    def close(self) -> None:
        self._exceptions.close()

    def row_fields(self) -> dict[str, Any]:
        """The row's columns that follow the output, where they changed since `written`."""
        fields: dict[str, Any] = {
            "log_bytes": self.writer.received,
            "log_dropped_bytes": self.writer.dropped,
        }
        if self._progress_dirty:
            percent, message = self.progress
            fields.update(progress=percent, progress_message=message)
        if self._tails_dirty:
            fields["stdout_tail"] = tail_text(self._tails[Stream.STDOUT])
            fields["stderr_tail"] = tail_text(self._tails[Stream.STDERR])
        return fields

    def written(self) -> None:
        """The fields of `row_fields` are on the row."""
        self._progress_dirty = self._tails_dirty = False

    def _emit(self, stream: str, data: bytes) -> None:
        """Complete lines (or a flushed partial line) of one stream, in arrival order."""
        data = self.writer.append(stream, data)
        found = last_progress(data)
        if found is not None:
            percent, message = found
            if percent is None:
                percent = self.progress[0]
            if (percent, message) != self.progress:
                self.progress = (percent, message)
                self._progress_dirty = True
        tail = self._tails[stream] + data[-TAIL_BYTES:]
        self._tails[stream] = tail[-TAIL_BYTES:]
        self._tails_dirty = True
        if stream == Stream.STDERR:
            self._exceptions.feed(data)
        if self.echo is not None:
            self.echo(stream, data)


def tail_text(data: bytes) -> str:
    # The tail may start inside a multi-byte character: skip its continuation bytes.
    start = 0
    while start < min(3, len(data)) and data[start] & 0xC0 == 0x80:
        start += 1
    return decode(data[start:])
