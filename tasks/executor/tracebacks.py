"""Find the exception line of a Python traceback in a script's stderr."""

from tasks.executor.text import decode

TRACEBACK_START = b"Traceback (most recent call last):"
MAX_LINE = 500


class ExceptionLineFinder:
    """Fed stderr as it arrives; `line` is the last exception line seen.

    The exception line is the first unindented line after a ``Traceback`` header: frames,
    source lines and carets are indented. Chained exceptions print several tracebacks;
    the last one is what killed the script.
    """

    def __init__(self):
        self.line = ""
        self._inside = False

    def feed(self, data):
        # Most output has no traceback: skip the line-by-line walk unless one is open.
        if not self._inside and TRACEBACK_START not in data:
            return
        for raw in data.splitlines():
            if raw.rstrip() == TRACEBACK_START:
                self._inside = True
            elif self._inside and raw and not raw[:1].isspace():
                self.line = decode(raw).strip()[:MAX_LINE]
                self._inside = False
