"""The thread that drains a run's pipes: everything in arrival order, each end reported,
and reading paused (the pipe full again) while too much waits to be taken."""

import contextlib
import fcntl
import os
import select
import struct
import termios
import threading

from tasks.executor import pipe_reader
from tasks.executor.pipe_reader import PipeReader
from tasks.tests.helpers import wait_for


def _pipes():
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    return {out_r: "out", err_r: "err"}, out_w, err_w


@contextlib.contextmanager
def _reading(pipes):
    """A started PipeReader of `pipes`; afterwards stopped, and the read ends closed."""
    reader = PipeReader(pipes)
    reader.start()
    try:
        yield reader
    finally:
        reader.stop()
        for fd in pipes:
            os.close(fd)


def _to_the_ends(reader, *write_ends):
    """Close the pipes' write ends: what the reader took from then to both ends."""
    for fd in write_ends:
        os.close(fd)
    return _take_until(reader, 2)


def _take_until(reader, ends):
    items = []
    while sum(1 for _, data in items if not data) < ends:
        assert select.select([reader.wake_fd], [], [], 5)[0], "a wake-up"
        items += reader.take()
    return items


def test_output_arrives_in_order_and_each_pipe_s_end_is_reported():
    pipes, out_w, err_w = _pipes()
    with _reading(pipes) as reader:
        os.write(out_w, b"one\n")
        first = _take_until_data(reader)
        os.write(err_w, b"two\n")
        second = _take_until_data(reader)
        rest = _to_the_ends(reader, out_w, err_w)
    assert first + second == [("out", b"one\n"), ("err", b"two\n")]
    assert sorted(rest) == [("err", b""), ("out", b"")]


def _take_until_data(reader):
    assert select.select([reader.wake_fd], [], [], 5)[0], "a wake-up"
    return reader.take()


def test_reading_pauses_while_too_much_waits_and_goes_on_once_it_is_taken(monkeypatch):
    monkeypatch.setattr(pipe_reader, "QUEUE_LIMIT", 100_000)
    pipes, out_w, err_w = _pipes()
    os.set_blocking(out_w, False)
    written = 0

    def fill():
        nonlocal written
        try:
            while True:
                written += os.write(out_w, b"x" * 65536)
        except BlockingIOError:
            return True

    with _reading(pipes) as reader:  # the pipe is made 1 MiB (where the system allows)
        # Nothing is taken: the reader stops after the limit and the pipe fills up.
        wait_for(
            lambda: fill() and not select.select([], [out_w], [], 0.2)[1],
            timeout=10,
            message="the pipe to stay full",
        )
        queued = sum(len(data) for _, data in reader.take())
        assert 100_000 <= queued < written  # it read past the limit once, then waited
        wait_for(lambda: select.select([], [out_w], [], 0.2)[1], timeout=10, message="room")
        rest = _to_the_ends(reader, out_w, err_w)
    assert queued + sum(len(data) for _, data in rest) == written  # every byte, once


def test_a_take_hands_over_about_a_mib_and_wakes_again_for_the_rest():
    """However long the queue, each database write of the supervisor stays small."""
    pipes, out_w, err_w = _pipes()
    out_r = next(iter(pipes))
    written = 3 * pipe_reader.TAKE_BYTES  # queued whole: under QUEUE_LIMIT
    writer = threading.Thread(target=os.write, args=(out_w, b"y" * written))
    with _reading(pipes) as reader:
        writer.start()
        writer.join(10)
        wait_for(lambda: _unread(out_r) == 0, timeout=10, message="the reader to read it all")
        first = reader.take()
        assert pipe_reader.TAKE_BYTES <= sum(len(data) for _, data in first) < written
        assert select.select([reader.wake_fd], [], [], 0)[0], "woken again for the rest"
        rest = _to_the_ends(reader, out_w, err_w)
    assert sum(len(data) for _, data in first + rest) == written


def _unread(fd):
    """Bytes waiting in a pipe (FIONREAD)."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
