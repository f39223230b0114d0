"""The colours in force at a byte offset of a log, per stream, so that a window fetched
from the middle of a long log starts in the colour its first line was printed in.

The answer is the SGR codes since the stream's last reset before the offset, which the
page replays (static/js/ansi.js, AnsiStyle.apply) to get the same state. It reads chunks
backwards until each stream has met a reset, at most SCAN_BYTES of them: a colour set
further back and never reset is not carried (nor is a sequence split between two chunks).
Hand-written: a terminal emulator (pyte and the like) would replay the whole log, and the
state needed is only the attributes that AnsiStyle knows.
"""

import re

from tasks.models import LogChunk

SCAN_BYTES = 1024 * 1024
SGR = re.compile(rb"\x1b\[([0-9;:]*)m")
STREAMS = ("out", "err")


def _codes(params):
    """The codes of one SGR sequence as AnsiStyle reads them ("" and empty codes are 0)."""
    if not params:
        return ["0"]
    return [code.decode() or "0" for code in re.split(rb"[;:]", params)]


def styles_at(task_id, offset):
    """{"out": "1;31", "err": ""}: the SGR parameters that recreate each stream's colours
    at byte `offset` ("" for plain)."""
    found = {}
    later = {stream: [] for stream in STREAMS}  # codes met so far, nearest the offset last
    scanned = 0
    rows = (
        LogChunk.objects.filter(task_id=task_id, offset__lt=offset)
        .order_by("-offset")
        .values_list("offset", "stream", "data")
    )
    for start, stream, data in rows.iterator(chunk_size=8):
        if stream not in later or stream in found:
            continue
        data = bytes(data)[: offset - start]
        scanned += len(data)
        if b"\x1b[" in data:
            codes, reset = _scan(data)
            later[stream] = codes + later[stream]
            if reset:
                found[stream] = later[stream]
        if len(found) == len(STREAMS) or scanned >= SCAN_BYTES:
            break
    return {stream: ";".join(found.get(stream, later[stream])) for stream in STREAMS}


def _scan(data):
    """(codes after the last reset in `data`, or all of them; whether it has a reset)."""
    codes, reset = [], False
    for match in SGR.finditer(data):
        sequence = _codes(match.group(1))
        index = 0
        while index < len(sequence):
            code = sequence[index]
            if code in ("38", "48"):  # 38;5;N or 38;2;R;G;B: the arguments are not codes
                kind = sequence[index + 1] if index + 1 < len(sequence) else ""
                width = {"5": 3, "2": 5}.get(kind, 1)
                codes.extend(sequence[index : index + width])
                index += width
                continue
            if int(code) == 0:
                codes, reset = [], True
            else:
                codes.append(code)
            index += 1
    return codes, reset
