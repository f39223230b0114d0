"""Turn a run's output into LogChunk rows: batched, capped, and safe to read while live.

Offsets count every byte the script wrote, so a reader's position stays valid when the
cap drops the middle of a log: the dropped bytes are a gap in the offsets, never a shift.
"""

from collections import deque

from tasks.models import LogChunk

MAX_CHUNK = 64 * 1024
HEAD_SHARE = 4  # the beginning keeps a quarter of the cap; the live tail keeps the rest
MASK = b"****"


class LogWriter:
    """Collects output segments and hands out the rows to write at each flush.

    The caller writes `take()`'s result in one transaction together with the task's
    progress, so readers never see progress ahead of the output that explains it.
    """

    def __init__(self, task_id, max_bytes, secrets=()):
        self.task_id = task_id
        self.head_limit = max_bytes // HEAD_SHARE
        self.tail_limit = max_bytes - self.head_limit
        self.secrets = sorted({s.encode() for s in secrets if s}, key=len, reverse=True)
        self.received = 0  # bytes of output so far: the next chunk's offset
        self.dropped = 0
        self._tail = deque()  # (offset, size, stored) of tail chunks, oldest first
        self._tail_bytes = 0
        self._new = {}  # offset -> LogChunk not yet written
        self._doomed = []  # offsets of written chunks the cap dropped
        self.pending_bytes = 0

    @property
    def has_pending(self):
        return bool(self._new or self._doomed)

    def append(self, stream, data):
        """Add output that ends on a line or character boundary."""
        if self.secrets:
            data = self.mask(data)
        while data:
            if self.received < self.head_limit:
                room = self.head_limit - self.received
                limit = min(room, MAX_CHUNK)
                piece = data if len(data) <= limit else data[: _cut(data, limit)]
                self._add(stream, piece, in_tail=False)
            else:
                piece = data if len(data) <= MAX_CHUNK else data[: _cut(data, MAX_CHUNK)]
                self._add(stream, piece, in_tail=True)
            data = data[len(piece) :]

    def mask(self, data):
        for secret in self.secrets:
            data = data.replace(secret, MASK)
        return data

    def _add(self, stream, piece, in_tail):
        offset = self.received
        self.received += len(piece)
        self._new[offset] = LogChunk(task_id=self.task_id, offset=offset, stream=stream, data=piece)
        self.pending_bytes += len(piece)
        if not in_tail:
            return
        self._tail.append((offset, len(piece)))
        self._tail_bytes += len(piece)
        while self._tail_bytes > self.tail_limit:
            old_offset, old_size = self._tail.popleft()
            self._tail_bytes -= old_size
            self.dropped += old_size
            # Dropped before it was ever written: no row to insert, none to delete.
            unwritten = self._new.pop(old_offset, None)
            if unwritten is None:
                self._doomed.append(old_offset)
            else:
                self.pending_bytes -= len(unwritten.data)

    def take(self):
        """(chunks to insert, offsets of chunks to delete) since the last call."""
        new = list(self._new.values())
        doomed = self._doomed
        self._new, self._doomed = {}, []
        self.pending_bytes = 0
        return new, doomed

    def put_back(self, new, doomed):
        """Undo take() after a failed write, so the next flush retries it."""
        for chunk in new:
            if chunk.offset not in self._new:
                self._new[chunk.offset] = chunk
                self.pending_bytes += len(chunk.data)
        self._new = dict(sorted(self._new.items()))
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
