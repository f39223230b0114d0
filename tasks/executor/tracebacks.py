"""Find the exception line of a Python traceback in a script's stderr."""

TRACEBACK_START = b"Traceback (most recent call last):"
MAX_LINE = 500
MAX_PARTIAL = 4096


class ExceptionLineFinder:
    """Fed stderr as it arrives; `line` is the last exception line seen.

    The exception line is the first unindented line after a ``Traceback`` header: frames,
    source lines and carets are indented. Chained exceptions print several tracebacks;
    the last one is what killed the script.
    """

    def __init__(self):
        self.line = ""
        self._inside = False
        self._partial = b""  # a line whose end has not arrived yet

    def feed(self, data):
        if self._partial:
            data = self._partial + data
            self._partial = b""
        # Most output has no traceback: skip the line-by-line walk unless one is open.
        if not self._inside and TRACEBACK_START not in data:
            self._partial = data[data.rfind(b"\n") + 1 :][-MAX_PARTIAL:]
            return
        end = data.rfind(b"\n") + 1
        self._partial = data[end:][-MAX_PARTIAL:]
        for raw in data[:end].splitlines():
            self._line(raw)

    def close(self):
        """The stream ended: a last line without a newline counts too."""
        if self._partial:
            self._line(self._partial)
            self._partial = b""

    def _line(self, raw):
        if raw.rstrip() == TRACEBACK_START:
            self._inside = True
        elif self._inside and raw and not raw[:1].isspace():
            self.line = raw.decode("utf-8", "replace").strip()[:MAX_LINE]
            self._inside = False
