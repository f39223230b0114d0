"""Read progress from what a script prints.

Three forms are understood, the last one seen wins:

- the protocol line ``::progress 40 Loading data`` (or ``::progress 3/8 Loading``), on a
  line of its own, on stdout or stderr;
- a step marker ``[3/10] Loading data`` anywhere in a line;
- a tqdm-style bar ``Loading:  40%|████      | 4/10 [00:01<00:02]``.

A script that prints none of these has unknown progress until it ends.
"""

import re

from tasks.executor.text import decode

ANSI = re.compile(rb"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")

# Each marker kind starts with a literal ("::progress", "[", "%|"), so each is found with
# a C-speed substring scan instead of trying a regular expression at every byte: a script
# printing a million plain lines must not pay for progress parsing.
_PROTOCOL = re.compile(
    rb"::progress[ \t]+(?P<value>\d+(?:\.\d+)?)(?:%|/(?P<total>\d+))?[ \t]*(?P<msg>[^\r\n]*)"
)
_STEP = re.compile(
    rb"\[[ \t]*(?P<step>\d+)[ \t]*/[ \t]*(?P<steps>\d+)[ \t]*\][ \t]*(?P<msg>[^\r\n]*)"
)
_BAR_PERCENT = re.compile(rb"(?P<pct>\d{1,3}(?:\.\d+)?)$")

MAX_MESSAGE = 200


def parse_line(line):
    """Progress in a single line: (percent or None, message) or None when it has none."""
    data = line.encode("utf-8", "surrogatepass") if isinstance(line, str) else line
    return last_progress(data)


def last_progress(data):
    """The last progress report in a block of output: (percent or None, message) or None."""
    found = [_last_protocol(data), _last_step(data), _last_bar(data)]
    found = [item for item in found if item is not None]
    if not found:
        return None
    return max(found, key=lambda item: item[0])[1]


def _last_protocol(data):
    end = len(data)
    while (index := data.rfind(b"::progress", 0, end)) >= 0:
        if index == 0 or data[index - 1] in b"\r\n":
            match = _PROTOCOL.match(data, index)
            if match:
                value = float(match["value"])
                if match["total"] is not None:
                    total = int(match["total"])
                    percent = value * 100 / total if total else None
                else:
                    percent = value
                return index, (_clamp(percent), _message(match["msg"]))
        end = index
    return None


def _last_step(data):
    end = len(data)
    while (index := data.rfind(b"[", 0, end)) >= 0:
        match = _STEP.match(data, index)
        if match:
            steps = int(match["steps"])
            percent = int(match["step"]) * 100 / steps if steps else None
            return index, (_clamp(percent), _message(match["msg"]))
        end = index
    return None


def _last_bar(data):
    end = len(data)
    while (index := data.rfind(b"%|", 0, end)) >= 0:
        line_start = max(data.rfind(b"\n", 0, index), data.rfind(b"\r", 0, index)) + 1
        head = data[line_start:index]
        match = _BAR_PERCENT.search(head)
        if match:
            desc = head[: match.start()].rstrip().rstrip(b":")
            return index, (_clamp(float(match["pct"])), _message(desc))
        end = index
    return None


def _clamp(percent):
    if percent is None:
        return None
    return max(0, min(100, int(percent)))


def _message(raw):
    text = decode(ANSI.sub(b"", raw)).strip()
    return text[:MAX_MESSAGE]
