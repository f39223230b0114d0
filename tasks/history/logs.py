"""Read a run's log by byte offset, while it runs or after it ended.

Offsets count the bytes the script wrote. Where the log cap dropped the middle of a
log, readers get a marker saying how many bytes are missing, and the offsets after it
stay true, so a viewer that reconnects resumes exactly where it stopped.
"""

from dataclasses import dataclass, field

from tasks.models import MAX_CHUNK, LogChunk

DEFAULT_LIMIT = 1024 * 1024
MAX_LIMIT = 8 * 1024 * 1024
GAP = "gap"


class BadPosition(ValueError):
    """An offset, limit or tail in a request that is not a whole number of 0 or more."""


def whole_number(raw, name):
    """Parse a position from a request (offset, limit, tail); BadPosition says why not."""
    try:
        number = int(str(raw).strip())
    except ValueError:
        raise BadPosition(f"{name}: must be a whole number, got {str(raw)[:40]!r}.") from None
    if number < 0:
        raise BadPosition(f"{name}: must be 0 or more, got {number}.")
    return number


def gap_marker(size, line_cut=False):
    # The kept beginning ends at a line boundary (tasks/executor/log_writer.py) unless one
    # line was longer than all of it: then the marker says that line was cut.
    cut = " (the line above was cut)" if line_cut else ""
    return (
        f"\n[… {size:,} bytes of output dropped here{cut}: "
        "the log keeps its beginning and its end …]\n"
    )


@dataclass
class Part:
    offset: int
    stream: str  # "out", "err", or "gap" for a marker
    text: str
    line: int = 0  # the number of the line its first byte is on (after a gap: the next)
    at: float | None = None  # when the engine received its chunk (seconds since the epoch)

    def as_dict(self):
        return {"offset": self.offset, "stream": self.stream, "text": self.text}


@dataclass
class LogSlice:
    offset: int
    next_offset: int
    parts: list = field(default_factory=list)

    @property
    def text(self):
        return "".join(part.text for part in self.parts)


def read(task_id, offset=0, limit=DEFAULT_LIMIT):
    """The output after byte `offset`, up to about `limit` bytes (whole chunks)."""
    chunks = (
        LogChunk.objects.filter(task_id=task_id, offset__gt=offset - MAX_CHUNK)
        .order_by("offset")
        .values_list("offset", "stream", "data", "line", "at")
    )
    result = LogSlice(offset=offset, next_offset=offset)
    position = offset
    size = 0
    # Fetched a few chunks at a time, as many as the limit needs: fetching 64 (4 MiB)
    # for a 256 KiB batch made a live viewer read sixteen times what it sent.
    fetch = max(2, min(64, limit // MAX_CHUNK + 2))
    for start, stream, data, line, at in chunks.iterator(chunk_size=fetch):
        data = bytes(data)
        end = start + len(data)
        if end <= position:
            continue
        if start > position:
            cut = bool(result.parts) and not result.parts[-1].text.endswith("\n")
            marker = gap_marker(start - position, cut)
            result.parts.append(Part(position, GAP, marker, line + 1))
        elif start < position:
            line += data.count(b"\n", 0, position - start)
            data = data[position - start :]
            start = position
        stamp = at.timestamp() if at else None
        text = data.decode("utf-8", "replace")
        result.parts.append(Part(start, stream, text, line + 1, stamp))
        position = end
        size += len(data)
        if size >= limit:
            break
    result.next_offset = position
    return result


def iter_text(task_id):
    """The whole log as text pieces, for downloads: constant memory at any size."""
    return (text for text, _ in iter_pieces(task_id))


def iter_pieces(task_id):
    """The whole log as (text piece, byte offset after it), chunk by chunk from the
    database: a reader of any size holds a few chunks at a time."""
    position, ended_line = 0, True
    chunks = (
        LogChunk.objects.filter(task_id=task_id)
        .order_by("offset")
        .values_list("offset", "data")
        .iterator(chunk_size=32)
    )
    for start, data in chunks:
        if start > position:
            yield gap_marker(start - position, not ended_line), start
        position, ended_line = start + len(data), bytes(data).endswith(b"\n")
        yield bytes(data).decode("utf-8", "replace"), position


def text_response(task, *, attachment):
    """The whole log as plain text, streamed: a download (`attachment`) or shown in the
    browser. Pages and the API both answer with this."""
    from django.http import StreamingHttpResponse
    from django.utils.text import slugify

    response = StreamingHttpResponse(iter_text(task.pk), content_type="text/plain; charset=utf-8")
    name = f"{slugify(task.script) or 'task'}-{task.short_id}.log"
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"  # text stays text, whatever it holds
    return response


def wire(part):
    """A part as the pages receive it: [stream, text, arrival in ms or null, line]."""
    at = round(part.at * 1000) if part.at is not None else None
    return [part.stream, part.text, at, part.line]
