"""A window on a long log: a slice of whole lines after or before a byte offset, the
offset where a line starts, and the log's size in bytes and lines.

The run page holds a few of these slices, never the whole log, and asks for the next as
the reader scrolls or jumps (to a line, to the end, to a search match). Each lookup reads
an index entry (`LogChunk.line`, the newlines before each chunk) and at most a few chunks,
so line 7,000,000 of a 10,000,000-line log costs what line 10 does.
"""

from dataclasses import dataclass

from tasks.history.log_styles import styles_at
from tasks.history.logs import GAP, Part, gap_marker, wire
from tasks.models import MAX_CHUNK, LogChunk

WINDOW_BYTES = 64 * 1024  # about what one slice carries (whole lines, so a little more)
FIELDS = ("offset", "stream", "data", "line", "at")


@dataclass
class Piece:
    """Raw bytes of one chunk in a slice, with the line number of their first byte."""

    offset: int
    stream: str
    data: bytes
    line: int  # 1-based
    at: float | None

    @property
    def end(self):
        return self.offset + len(self.data)


def extent(task_id):
    """(bytes, lines): where the log ends and how many lines it has, from its last chunk."""
    last = LogChunk.objects.filter(task_id=task_id).order_by("-offset").values(*FIELDS[:4]).first()
    if last is None:
        return 0, 0
    data = bytes(last["data"])
    lines = last["line"] + data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return last["offset"] + len(data), lines


def line_start(task_id, number):
    """The offset of line `number`'s first byte (lines count from 1). A line the cap
    dropped starts where the kept output resumes; past the end, None."""
    chunks = LogChunk.objects.filter(task_id=task_id)
    newlines = number - 1  # newlines before the line
    if newlines <= 0:
        first = chunks.order_by("offset").values_list("offset", flat=True).first()
        return first
    holder = (
        chunks.filter(line__lt=newlines)
        .order_by("-line", "-offset")
        .values_list("offset", "data", "line")
        .first()
    )
    if holder is None:
        return chunks.order_by("offset").values_list("offset", flat=True).first()
    offset, data, line = holder
    data = bytes(data)
    position = -1
    for _ in range(newlines - line):
        position = data.find(b"\n", position + 1)
        if position < 0:
            break
    if position >= 0:
        start = offset + position + 1
        if start < offset + len(data):
            return start
    # The line begins in the next chunk kept (or after a gap): where that chunk starts.
    later = chunks.filter(offset__gt=offset).order_by("offset").values_list("offset", "line")
    for later_offset, later_line in later[:1]:
        if later_line >= newlines:
            return later_offset
    return None


def after(task_id, offset, limit=WINDOW_BYTES):
    """Whole lines from `offset` (a line's start) on, about `limit` bytes of them."""
    rows = (
        LogChunk.objects.filter(task_id=task_id, offset__gt=offset - MAX_CHUNK)
        .order_by("offset")
        .values_list(*FIELDS)
    )
    pieces, size, more = [], 0, False
    for start, stream, data, line, at in rows.iterator(chunk_size=8):
        data = bytes(data)
        if start + len(data) <= offset:
            continue
        if size >= limit:
            more = True
            break
        if start < offset:
            line += data.count(b"\n", 0, offset - start)
            data, start = data[offset - start :], offset
        pieces.append(Piece(start, stream, data, line + 1, at.timestamp() if at else None))
        size += len(data)
    if more:
        _cut_partial_end(pieces)
    return pieces


def before(task_id, offset, limit=WINDOW_BYTES):
    """Whole lines that end at `offset` (a line's start), about `limit` bytes of them."""
    rows = (
        LogChunk.objects.filter(task_id=task_id, offset__lt=offset)
        .order_by("-offset")
        .values_list(*FIELDS)
    )
    pieces, size, more = [], 0, False
    for start, stream, data, line, at in rows.iterator(chunk_size=8):
        if size >= limit:
            more = True
            break
        data = bytes(data)[: offset - start]
        pieces.append(Piece(start, stream, data, line + 1, at.timestamp() if at else None))
        size += len(data)
    pieces.reverse()
    if more:
        _cut_partial_start(pieces)
    return pieces


def _cut_partial_end(pieces):
    """Drop the unfinished last line (the next slice starts with it), unless it is all
    there is."""
    for index in range(len(pieces) - 1, -1, -1):
        newline = pieces[index].data.rfind(b"\n")
        if newline >= 0:
            pieces[index].data = pieces[index].data[: newline + 1]
            del pieces[index + 1 :]
            return


def _cut_partial_start(pieces):
    """Drop the beginning of a line that started before the slice (the previous slice ends
    with it), unless the slice is one line."""
    for index, piece in enumerate(pieces):
        newline = piece.data.find(b"\n")
        if newline >= 0:
            cut = newline + 1
            piece.line += 1
            piece.offset += cut
            piece.data = piece.data[cut:]
            del pieces[:index]
            if not piece.data and len(pieces) > 1:
                del pieces[0]
            return


def as_window(task_id, pieces, *, requested):
    """The JSON a page gets: the slice's bounds, its first line's number, the colours in
    force at its start, its parts (with gap markers where the cap dropped output) and
    the whole log's size."""
    total_bytes, total_lines = extent(task_id)
    parts, position = [], pieces[0].offset if pieces else requested
    start = position
    for piece in pieces:
        if piece.offset > position:
            cut = bool(parts) and not parts[-1].text.endswith("\n")
            parts.append(Part(position, GAP, gap_marker(piece.offset - position, cut), piece.line))
        text = piece.data.decode("utf-8", "replace")
        parts.append(Part(piece.offset, piece.stream, text, piece.line, piece.at))
        position = piece.end
    return {
        "offset": start,
        "next_offset": position,
        "line": pieces[0].line if pieces else None,
        "styles": styles_at(task_id, start),
        "parts": [wire(part) for part in parts],
        "total_bytes": total_bytes,
        "total_lines": total_lines,
    }
