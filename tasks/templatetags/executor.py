"""Small display helpers for the pages: durations, memory sizes, the tail of a log."""

import re
from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def duration(value):
    """A timedelta or seconds as "850 ms", "12.3 s", "4 min 05 s" or "2 h 03 min"."""
    if value is None or value == "":
        return "—"
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@register.filter
def kilobytes(value):
    """Kibibytes (as getrusage reports peak memory) in a readable unit."""
    if value is None:
        return "—"
    if value < 1024:
        return f"{value} KiB"
    if value < 1024 * 1024:
        return f"{value / 1024:.1f} MiB"
    return f"{value / 1024 / 1024:.2f} GiB"


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;:?]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?")


@register.filter
def last_lines(text, count=6):
    """The last `count` non-empty lines of a captured tail, without terminal escapes
    (the failure summary shows them as plain text; carriage-return rewrites keep their end)."""
    lines = [line.rsplit("\r", 1)[-1] for line in ANSI_ESCAPE.sub("", text or "").splitlines()]
    return "\n".join([line for line in lines if line.strip()][-int(count) :])
