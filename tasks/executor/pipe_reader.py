"""A thread that keeps a run's output pipes drained while the supervisor writes to the
database.

With one thread doing both, the pipes were not read during a write; a flooding child
filled its 1 MiB pipe in 25 ms and then waited on every write that took longer (one
took 20-200 ms on a loaded machine: SQLite's commit and its checkpoints), so the run
went at the database's pace, not the script's. This thread only reads: it queues what
it reads, in arrival order, and the supervisor takes it all at once (a slower write
means a larger next batch, up to TAKE_BYTES). It stops reading while QUEUE_LIMIT bytes
wait, so the pipe still holds back a child that outruns the database for long, as it
did before.
"""

import contextlib
import os
import selectors
import threading
import time

from tasks.executor import child

# Bytes read but not yet taken, before reading pauses: enough for the longest writes of
# a flood (a checkpoint's, 90-110 ms at 40-80 MB/s), during which a smaller queue filled
# and the script waited on its pipe again.
QUEUE_LIMIT = 8 << 20
# What one take() hands over, at most (and at least one read): each write to the database
# stays about that size however long the queue, and so does the memory it takes.
TAKE_BYTES = 1 << 20
# A read that comes within this long of the one before (output is flowing) is followed
# by a pause this long: a script writing line by line (stderr is line-buffered) would
# otherwise cost a wake-up, a read and a lock per line. Output after a quiet spell, and a
# pipe's end, are read at once (a short run's last line and its exit wait for nothing);
# the 1 MiB pipe holds far more than this time's output.
READ_PAUSE = 0.005


class PipeReader:
    """Reads `pipes` ({fd: stream}) until each ends; `wake_fd` becomes readable when
    there is something to `take()`."""

    def __init__(self, pipes: dict[int, str]) -> None:
        self._pipes = dict(pipes)
        self._queue: list[tuple[str, bytes]] = []  # (stream, data); b"" is a pipe's end
        self._queued = 0
        self._room = threading.Condition()
        self._stopped = False
        self.wake_fd, self._wake_w = os.pipe()
        self._stop_r, self._stop_w = os.pipe()
        for fd in (self.wake_fd, self._wake_w, self._stop_r, self._stop_w):
            os.set_blocking(fd, False)
        for fd in self._pipes:
            child.prepare_pipe(fd)
        self._thread = threading.Thread(target=self._read_all, name="pipe-reader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def take(self) -> list[tuple[str, bytes]]:
        """What was read since the last call, oldest first, up to about TAKE_BYTES;
        `wake_fd` stays readable while more waits."""
        child.drain(self.wake_fd)  # before taking: output queued after this wakes again
        with self._room:
            count, size = 0, 0
            for _, data in self._queue:
                count, size = count + 1, size + len(data)
                if size >= TAKE_BYTES:
                    break
            items = self._queue[:count]
            del self._queue[:count]
            self._queued -= size
            more = bool(self._queue)
            self._room.notify()
        if more:
            with contextlib.suppress(BlockingIOError):  # full: a wake-up is pending anyway
                os.write(self._wake_w, b"x")
        return items

    def stop(self) -> None:
        """Stop reading (the pipes stay open) and wait for the thread; idempotent."""
        with self._room:
            self._stopped = True
            self._room.notify()
        with contextlib.suppress(OSError):
            os.write(self._stop_w, b"x")
        if self._thread.is_alive():
            self._thread.join()
        for fd in (self.wake_fd, self._wake_w, self._stop_r, self._stop_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _read_all(self) -> None:
        with selectors.DefaultSelector() as selector:
            for fd, stream in self._pipes.items():
                selector.register(fd, selectors.EVENT_READ, stream)
            selector.register(self._stop_r, selectors.EVENT_READ, None)
            open_pipes = len(self._pipes)
            read_at = float("-inf")  # when the last data came
            while open_pipes and not self._stopped:
                came = False
                for key, _ in selector.select():
                    if key.data is None:
                        return
                    data = child.read(key.fd)
                    if data is None:
                        continue
                    if not data:
                        selector.unregister(key.fd)
                        open_pipes -= 1
                    came = came or bool(data)
                    if not self._put(key.data, data):
                        return
                if came:
                    now = time.monotonic()
                    if now - read_at < READ_PAUSE:
                        time.sleep(READ_PAUSE)
                    read_at = now

    def _put(self, stream: str, data: bytes) -> bool:
        """Queue what was read, once there is room; False when stopped meanwhile."""
        with self._room:
            while self._queued >= QUEUE_LIMIT and not self._stopped:
                self._room.wait()
            if self._stopped:
                return False
            was_empty = not self._queue
            self._queue.append((stream, data))
            self._queued += len(data)
        if was_empty:
            with contextlib.suppress(BlockingIOError):  # full: a wake-up is pending anyway
                os.write(self._wake_w, b"x")
        return True
