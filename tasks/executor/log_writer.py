"""Turn a run's output into LogChunk rows: batched, capped, and safe to read while live.

Offsets count every byte the script wrote, so a reader's position stays valid when the
cap drops the middle of a log: the dropped bytes are a gap in the offsets, never a shift.
"""

import time
from collections import deque
from datetime import UTC, datetime

# MAX_CHUNK stays importable from here (tasks.checks imports it).
from tasks.models import MAX_CHUNK, LogChunk

HEAD_SHARE = 4  # the beginning keeps a quarter of the cap; the live tail keeps the rest
MASK = b"****"


class LogWriter:
    """Collects output segments and hands out the rows to write at each flush.

    Consecutive output of one stream grows one pending chunk (up to MAX_CHUNK), however
    small the pipe reads were. The caller writes `take()`'s result in one transaction
    together with the task's progress, so readers never see progress ahead of the output
    that explains it.
    """

    def __init__(self, task_id, max_bytes, secrets=()):
        self.task_id = task_id
        self.head_limit = max_bytes // HEAD_SHARE
        self.tail_limit = max_bytes - self.head_limit
        # Tail chunks are small enough that dropping the oldest keeps most of the tail.
        self.tail_chunk = max(1, min(MAX_CHUNK, self.tail_limit // 4))
        self.secrets = sorted({s.encode() for s in secrets if s}, key=len, reverse=True)
        self.received = 0  # bytes of output so far: the next chunk's offset
        self.newlines = 0  # newlines so far, dropped ones included: the next chunk's line
        self.dropped = 0
        self.pending_bytes = 0
        # offset -> [stream, bytearray, line, arrival time], not yet written, in order
        self._pending: dict[int, list] = {}
        self._growing = None  # offset of the pending chunk new output may extend
        self._tail: deque[list[int]] = (
            deque()
        )  # [offset, size] of tail chunks, written or not, oldest first
        self._tail_bytes = 0
        self._doomed = []  # offsets of written chunks the cap dropped
        self._ended_line = False  # whether the last byte added was a newline

    @property
    def has_pending(self):
        return bool(self._pending or self._doomed)

    def append(self, stream, data):
        """Add output that ends on a line or character boundary; return it as stored
        (secrets masked), for whatever else is derived from the output."""
        if self.secrets:
            data = self.mask(data)
        stored, rest = data, data
        while rest:
            in_tail = self.received >= self.head_limit
            head_room = self.head_limit - self.received
            if not in_tail and len(rest) > head_room <= MAX_CHUNK:
                rest = self._end_head(stream, rest, head_room)
                continue
            room = self.tail_chunk if in_tail else min(MAX_CHUNK, head_room)
            piece = rest if len(rest) <= room else rest[: _cut(rest, room)]
            self._add(stream, piece, in_tail)
            rest = rest[len(piece) :]
        return stored

    def _end_head(self, stream, rest, room):
        """The head's last piece: up to its last whole line, so the kept beginning ends at
        a line boundary (the reader's gap marker says when a single line was cut); from
        here on everything is tail. Returns what is left of `rest`."""
        newline = rest.rfind(b"\n", 0, room)
        if newline >= 0:
            end = newline + 1
        elif self.received and self._ended_line:
            end = 0  # the head already ends a line: this one starts in the tail
        else:
            end = utf8_boundary(rest, room)  # one line longer than the head: cut
        if end:
            self._add(stream, rest[:end], False)
        self.head_limit = self.received
        return rest[end:]

    def mask(self, data):
        for secret in self.secrets:
            data = data.replace(secret, MASK)
        return data

    def safe_length(self, data):
        """How much of `data` may be written now: all of it, less a tail that could be the
        beginning of a secret whose rest has not arrived yet (it would escape the mask)."""
        held = 0
        for secret in self.secrets:
            for size in range(min(len(secret) - 1, len(data)), held, -1):
                if data.endswith(secret[:size]):
                    held = size
                    break
        return len(data) - held

    def _add(self, stream, piece, in_tail):
        offset, line = self.received, self.newlines
        self._ended_line = piece.endswith(b"\n")
        self.received += len(piece)
        self.newlines += piece.count(b"\n")
        self.pending_bytes += len(piece)
        growing = self._pending.get(self._growing) if self._growing is not None else None
        limit = self.tail_chunk if in_tail else MAX_CHUNK
        if (
            growing is not None
            and growing[0] == stream
            and (self._growing >= self.head_limit) == in_tail
            and len(growing[1]) + len(piece) <= limit
        ):
            growing[1] += piece
            if in_tail:
                self._tail[-1][1] += len(piece)
        else:
            self._pending[offset] = [stream, bytearray(piece), line, time.time()]
            self._growing = offset
            if in_tail:
                self._tail.append([offset, len(piece)])
        if in_tail:
            self._tail_bytes += len(piece)
            self._trim()

    def _trim(self):
        while self._tail_bytes > self.tail_limit and len(self._tail) > 1:
            old_offset, old_size = self._tail.popleft()
            self._tail_bytes -= old_size
            self.dropped += old_size
            unwritten = self._pending.pop(old_offset, None)
            if unwritten is None:
                self._doomed.append(old_offset)
            else:
                # Dropped before it was ever written: no row to insert, none to delete.
                self.pending_bytes -= len(unwritten[1])

    def take(self):
        """(chunks to insert, offsets of chunks to delete) since the last call."""
        new = [
            LogChunk(
                task_id=self.task_id,
                offset=offset,
                stream=stream,
                data=bytes(data),
                line=line,
                at=datetime.fromtimestamp(at, UTC),
            )
            for offset, (stream, data, line, at) in self._pending.items()
        ]
        doomed = self._doomed
        self._pending, self._doomed = {}, []
        self._growing = None
        self.pending_bytes = 0
        return new, doomed

    def put_back(self, new, doomed):
        """Undo take() after a failed write, so the next flush retries it."""
        pending = {
            chunk.offset: [chunk.stream, bytearray(chunk.data), chunk.line, chunk.at.timestamp()]
            for chunk in new
        }
        pending.update(self._pending)
        self._pending = dict(sorted(pending.items()))
        self.pending_bytes = sum(len(item[1]) for item in self._pending.values())
        self._growing = None
        self._doomed = doomed + self._doomed


def _cut(data, limit):
    """Where to split data at or before `limit`: after a newline if there is one, else
    on a UTF-8 character boundary, so every chunk decodes on its own."""
    limit = max(1, min(limit, len(data)))
    newline = data.rfind(b"\n", 0, limit)
    if newline >= limit // 2:
        return newline + 1
    return utf8_boundary(data, limit)


def utf8_boundary(data, limit):
    """The largest index <= limit that does not split a UTF-8 sequence.

    At the end of the data, an incomplete trailing sequence is left for the next read;
    inside it, the cut steps back over continuation bytes. Invalid UTF-8 (binary output)
    costs at most three bytes of delay, never a loss.
    """
    if limit >= len(data):
        for back in range(1, min(4, len(data)) + 1):
            byte = data[-back]
            if byte & 0xC0 != 0x80:  # a lead byte or ASCII: how long is its sequence?
                needed = 1 if byte < 0x80 else 2 if byte >> 5 == 6 else 3 if byte >> 4 == 14 else 4
                return len(data) - back if needed > back and byte >= 0xC0 else len(data)
        return len(data)
    index = limit
    while index > 0 and limit - index < 3 and (data[index] & 0xC0) == 0x80:
        index -= 1
    return index if index > 0 else limit
