"""What the live viewers of a run in this process share (tasks/web/stream.py): the
batches of its output, each read and encoded once for all the viewers where it starts,
and its row with the state drawn from it, read once per write for all of them."""

import json
import threading
import time
from collections import OrderedDict

from tasks.history import logs
from tasks.models import Task
from tasks.web.state import STATE_FIELDS, task_state

BATCH_BYTES = 256 * 1024  # the most output one event of a page's stream carries
# ... and of any other stream (an API client's, a terminal's): fifty of them following a
# flood each took a step per batch (a row check, a lookup here, a send), 180 per run
# for each; four times the batch, a quarter of the steps. A page draws what it is sent,
# so its events stay smaller.
STREAM_BATCH_BYTES = 1024 * 1024


def batch_bytes(lines):
    return BATCH_BYTES if lines else STREAM_BATCH_BYTES


SHARED_BYTES = 32 * 1024 * 1024  # batches kept for the other viewers of the same run
SHARED_IDLE = 60.0  # seconds after which a batch nobody asked for again is let go
ROW_SHARED_FOR = 0.1  # seconds a row read serves the other viewers of its run
MAX_ROWS = 1000


class Batch:
    """One read of a run's output from one position, and its `log` event encoded once."""

    def __init__(self, part, lines=False):
        self.next_offset = part.next_offset
        self.size = part.next_offset - part.offset
        self.data = {
            "offset": part.offset,
            "next_offset": part.next_offset,
            "parts": [
                logs.wire(item) if lines else [item.stream, item.text] for item in part.parts
            ],
        }
        self._encoded = None
        self.used_at = time.monotonic()

    @property
    def memory(self):
        return 2 * self.size  # its text and, once a stream asked, its encoding

    def encoded(self):
        if self._encoded is None:  # a page's own batch; a shared one is encoded when read
            self._encoded = encode("log", self.next_offset, self.data)
        return self._encoded


class _Reading:
    def __init__(self):
        self.done = threading.Event()
        self.result = None


class _InFlight:
    """The reads going on, by key: the first asker of a key reads, and the others that
    ask meanwhile wait for its result. Its methods are called under the owner's lock."""

    def __init__(self):
        self._reading = {}

    def join(self, key):
        """(the _Reading of `key`, whether the caller is the one to read it)."""
        reading = self._reading.get(key)
        if reading is not None:
            return reading, False
        reading = self._reading[key] = _Reading()
        return reading, True

    def end(self, key):
        del self._reading[key]


class SharedBatches:
    """The batches this process's viewers read lately, by (run, position): a viewer
    where another one has been gets that one's read and encoding instead of its own.

    Hand-written because it is a few lines over an OrderedDict: Django's cache would
    pickle every batch, and functools.lru_cache has no size in bytes. Fifty viewers of a
    flood that each read and encoded all of it kept the server's threads busy enough
    to starve the run's own supervisor of the interpreter lock (the run took ten times
    as long). Every viewer that starts where the first did follows the same batches (a
    batch is never re-cut), so they share all the way while they are within
    SHARED_BYTES / 2 of output of each other; one further behind reads for itself, as
    before. A batch never changes: output is only appended. What nobody asked for in
    SHARED_IDLE goes, so a quiet server holds none of it. Viewers asking for a batch
    that is being read wait for that read."""

    def __init__(self, max_bytes=SHARED_BYTES):
        self.max_bytes = max_bytes
        self._batches = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._in_flight = _InFlight()  # batches being read now, by their first asker

    def read(self, task_id, position, lines=False):
        key = (task_id, position, lines)
        with self._lock:
            batch = self._batches.get(key)
            if batch is not None:
                batch.used_at = time.monotonic()
                self._batches.move_to_end(key)
                return batch
            reading, first = self._in_flight.join(key)
        if not first:
            # Another viewer is reading this very batch (fifty viewers at the live end
            # wake together): its read and encoding, not fifty of each.
            reading.done.wait()
            # An empty read may have begun before this viewer read the row (which may say
            # that more was written since): it reads for itself, or the row's news would
            # be missed, and it waited OWN_RUN_TIMEOUT after the run's last write.
            if reading.result is not None and reading.result.data["parts"]:
                return reading.result
            return Batch(logs.read(task_id, position, batch_bytes(lines)), lines)
        try:
            batch = Batch(logs.read(task_id, position, batch_bytes(lines)), lines)
            batch.encoded()
            reading.result = batch
        finally:
            with self._lock:
                self._in_flight.end(key)
                if reading.result is not None and reading.result.data["parts"]:
                    self._batches[key] = reading.result
                    self._bytes += reading.result.memory
                self._let_go(time.monotonic())
            reading.done.set()
        return batch

    def _let_go(self, now):
        while self._batches:
            oldest = next(iter(self._batches.values()))
            if self._bytes <= self.max_bytes and oldest.used_at >= now - SHARED_IDLE:
                return
            self._batches.popitem(last=False)
            self._bytes -= oldest.memory

    def __len__(self):
        return len(self._batches)


SHARED = SharedBatches()


def encode(name, event_id, data):
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {name}\nid: {event_id}\ndata: {payload}\n\n".encode()


class SharedRows:
    """The row of each watched run as one of its viewers read it last, with its state.

    Fifty viewers at the live end all wake on each write (20 a second in a flood) and
    each read the row and drew the state from it: about half a core of ORM work,
    holding the interpreter lock the run's reader needed. A read serves the others
    while the run's version in tasks.live (one more for each write of a run supervised
    here) is the one the reader saw before it read, for at most ROW_SHARED_FOR (a run
    supervised elsewhere writes without a version here). A row read after a viewer saw
    a version is at least as new as the write that made it."""

    def __init__(self):
        self._rows = {}  # task id -> (version, read at, task or None, state or None)
        self._lock = threading.Lock()
        self._in_flight = _InFlight()  # (task id, version): rows being read now

    def read(self, task_id, version):
        """(the run's row with the state fields, its state), or (None, None): deleted.

        Viewers that ask while another one reads the row for the same version wait for
        that read: all fifty wake on the same write, and each read the row for itself
        before the first had put it here (a query each, fifty per write)."""
        key = (task_id, version)
        now = time.monotonic()
        with self._lock:
            row = self._rows.get(task_id)
            if row is not None and row[0] == version and now - row[1] < ROW_SHARED_FOR:
                return row[2], row[3]
            reading, first = self._in_flight.join(key)
        if not first:
            reading.done.wait()
            if reading.result is not None:  # here: the (task, state) it read
                return reading.result
            return self._read(task_id, version, now)  # it failed: read it here
        try:
            reading.result = self._read(task_id, version, now)
        finally:
            with self._lock:
                self._in_flight.end(key)
            reading.done.set()
        return reading.result

    def _read(self, task_id, version, now):
        task = Task.objects.filter(pk=task_id).only(*STATE_FIELDS).first()
        state = task_state(task) if task is not None else None
        with self._lock:
            if len(self._rows) >= MAX_ROWS:
                self._rows.clear()
            self._rows[task_id] = (version, now, task, state)
        return task, state


ROWS = SharedRows()
