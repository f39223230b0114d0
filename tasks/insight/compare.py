"""Two runs side by side: what ran, how it went, and a line diff of their logs.

The diff is difflib's (the standard library's), bounded so that logs of several megabytes
answer within a request: each log is read up to `MAX_LOG_BYTES` from its start, the lines
both logs share at their start and end are set aside first (cheap, and most of a log when
two runs of one script are compared), and the rest is compared only up to `MAX_LINES`
lines a side, each cut at `MAX_LINE_CHARS`; the diff shown stops at `MAX_DIFF_LINES`.
The result says which of these limits it met.
"""

import difflib
import re
from dataclasses import dataclass, field

from tasks.history import logs
from tasks.models import Task

MAX_LOG_BYTES = 8 * 1024 * 1024
MAX_LINES = 20_000
MAX_LINE_CHARS = 500
MAX_DIFF_LINES = 5_000
CONTEXT = 3

# What `ignore_volatile` blanks: dates and times first, then hexadecimal ids, then numbers.
_TIMESTAMP = re.compile(
    r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?|\b\d\d:\d\d:\d\d(\.\d+)?\b"
)
_HEX = re.compile(r"\b(0x)?[0-9a-f]{8,}\b", re.I)
_NUMBER = re.compile(r"\d+(\.\d+)?")


@dataclass(frozen=True)
class Row:
    label: str
    left: str
    right: str

    @property
    def differs(self) -> bool:
        return self.left != self.right


@dataclass
class LogDiff:
    lines: list[tuple[str, str]] = field(default_factory=list)  # (kind, text): " ", "-", "+", "@"
    same: bool = True
    limits: list[str] = field(default_factory=list)


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    return str(value)


def _seconds(value) -> str:
    return "—" if value is None else f"{value.total_seconds():.3f} s"


def facts(left: Task, right: Task) -> tuple[list[Row], list[Row]]:
    """(what ran, how it went), one Row per field."""
    ran = [
        Row("Script", left.script, right.script),
        Row("Parameters", _params(left.params), _params(right.params)),
        Row("Arguments", " ".join(left.args) or "—", " ".join(right.args) or "—"),
        Row("Script SHA-256", _text(left.script_sha256), _text(right.script_sha256)),
        Row("Interpreter", _text(left.interpreter_version), _text(right.interpreter_version)),
        Row("Trigger", left.get_trigger_display(), right.get_trigger_display()),
        Row("User", left.user_name, right.user_name),
    ]
    went = [
        Row("Status", left.get_status_display(), right.get_status_display()),
        Row("Duration", _seconds(left.duration), _seconds(right.duration)),
        Row("Exit code", _text(left.return_code), _text(right.return_code)),
        Row("Exception", _text(left.exception), _text(right.exception)),
        Row("Peak memory", _kib(left.peak_memory_kb), _kib(right.peak_memory_kb)),
        Row("CPU time", _cpu(left.cpu_seconds), _cpu(right.cpu_seconds)),
    ]
    return ran, went


def _params(params: dict) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in sorted(params.items())) or "—"


def _kib(value) -> str:
    return "—" if value is None else f"{value:,} KiB"


def _cpu(value) -> str:
    return "—" if value is None else f"{value:.3f} s"


def volatile_free(line: str) -> str:
    """`line` with timestamps, long hexadecimal ids and numbers replaced by placeholders."""
    line = _TIMESTAMP.sub("<time>", line)
    line = _HEX.sub("<hex>", line)
    return _NUMBER.sub("<n>", line)


def _lines(task: Task, limits: list[str]) -> list[str]:
    part = logs.read(task.pk, 0, limit=MAX_LOG_BYTES)
    if part.next_offset < task.log_bytes:
        limits.append(
            f"run {task.short_id}: only its first {MAX_LOG_BYTES // (1024 * 1024)} MiB compared"
        )
    lines = part.text.splitlines()
    if any(len(line) > MAX_LINE_CHARS for line in lines):
        limits.append(f"lines longer than {MAX_LINE_CHARS} characters compared by their start")
        lines = [line[:MAX_LINE_CHARS] for line in lines]
    return lines


def diff_logs(left: Task, right: Task, *, ignore_volatile: bool = False) -> LogDiff:
    """A unified line diff of the two logs, within the module's limits."""
    result = LogDiff()
    a, b = _lines(left, result.limits), _lines(right, result.limits)
    key = volatile_free if ignore_volatile else (lambda line: line)
    ka, kb = [key(line) for line in a], [key(line) for line in b]
    # Set aside the shared head and tail: difflib then sees only where the logs part.
    head = 0
    while head < min(len(ka), len(kb)) and ka[head] == kb[head]:
        head += 1
    tail = 0
    while tail < min(len(ka), len(kb)) - head and ka[-1 - tail] == kb[-1 - tail]:
        tail += 1
    middle_a, middle_b = ka[head : len(ka) - tail], kb[head : len(kb) - tail]
    if not middle_a and not middle_b:
        return result
    result.same = False
    if len(middle_a) > MAX_LINES or len(middle_b) > MAX_LINES:
        result.limits.append(
            f"the logs differ over more than {MAX_LINES:,} lines: the first {MAX_LINES:,} compared"
        )
        middle_a, middle_b = middle_a[:MAX_LINES], middle_b[:MAX_LINES]
    matcher = difflib.SequenceMatcher(None, middle_a, middle_b, autojunk=True)
    shown = result.lines
    for group in matcher.get_grouped_opcodes(CONTEXT):
        first = group[0]
        shown.append(("@", f"lines {head + first[1] + 1} / {head + first[3] + 1}"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                shown.extend((" ", a[head + i]) for i in range(i1, i2))
                continue
            shown.extend(("-", a[head + i]) for i in range(i1, i2))
            shown.extend(("+", b[head + j]) for j in range(j1, j2))
        if len(shown) > MAX_DIFF_LINES:
            result.limits.append(f"the diff is cut at {MAX_DIFF_LINES:,} lines")
            del shown[MAX_DIFF_LINES:]
            break
    return result
