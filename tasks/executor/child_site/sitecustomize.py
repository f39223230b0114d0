"""Put first on a Python script's path by the executor: live output without unbuffering.

Python block-buffers stdout into a pipe, so a script's output would reach the log only
in 8 KiB pieces or at its end; PYTHONUNBUFFERED fixes that at the price of a system call
per write (print() makes two: its text, then its newline), which made a million-line
script 1.4 to 2.7 times slower. Instead the buffers stay and a daemon thread flushes them
every EXECUTOR_FLUSH_EVERY seconds (the engine sets it), so a script that prints and then
waits shows its output within that time, and a flooding one writes whole blocks: of
WRITE_BLOCK bytes, not Python's 8 KiB, so the engine reads a flood in an eighth as many
wake-ups (and the script makes an eighth as many system calls).

`os._exit()` flushes first (it would otherwise drop what is buffered). A script killed by
a signal loses at most one interval's output. Any other sitecustomize on the path still
runs: it is imported after this one, as Python would have imported it.
"""

import _thread
import atexit
import io
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
WRITE_BLOCK = 64 * 1024  # the engine's chunk size (tasks.models.MAX_CHUNK)


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # noqa: S110 - a closed or replaced stream is the script's business
            pass


def _start_flusher(interval):
    """A background thread that flushes, stopped and waited for at exit.

    It must not be running at finalization: a daemon thread frozen while it holds a
    stream's lock makes the final flush die with "could not acquire lock ... at
    interpreter shutdown". The atexit hooks run while every thread still runs.

    Built on `_thread` and `atexit` (both built into the interpreter) rather than
    `threading`: importing threading (with collections and functools) cost every
    Python script a few milliseconds of start-up, a third of a trivial run."""
    stop = _thread.allocate_lock()
    stop.acquire()  # held while the flusher should run
    done = _thread.allocate_lock()
    done.acquire()  # released by the flusher as it ends
    owner = os.getpid()

    def flush_every():
        try:
            while not stop.acquire(timeout=interval):
                _flush()
        finally:
            done.release()

    _thread.start_new_thread(flush_every, ())

    def stop_flusher():
        if os.getpid() != owner:
            return  # a forked child: this flusher is its parent's, not running here
        stop.release()
        done.acquire(timeout=2)

    atexit.register(stop_flusher)


def _larger_blocks():
    """Have a block-buffered stdout gather WRITE_BLOCK bytes of text before it writes.

    TextIOWrapper passes its text on to the binary buffer in pieces of `_CHUNK_SIZE`
    (8 KiB); a larger piece goes past that buffer in one write. Line-buffered or
    unbuffered streams (a terminal, stderr, PYTHONUNBUFFERED) still write at once; any
    other kind of stream keeps its own buffering."""
    stdout = sys.stdout
    if isinstance(stdout, io.TextIOWrapper) and not (stdout.line_buffering or stdout.write_through):
        stdout._CHUNK_SIZE = WRITE_BLOCK  # type: ignore[attr-defined]


def _exit_flushed(code, _exit=os._exit):
    _flush()
    _exit(code)


def _chain_next_sitecustomize():
    """Import the sitecustomize this one hides (a virtualenv's or a distribution's)."""
    for entry in sys.path:
        if not entry or os.path.abspath(entry) == _HERE:
            continue
        candidate = os.path.join(entry, "sitecustomize.py")
        if os.path.isfile(candidate):
            import importlib.util  # only now: it costs every script's start-up

            spec = importlib.util.spec_from_file_location("_executor_next_sitecustomize", candidate)
            if spec is not None and spec.loader is not None:
                spec.loader.exec_module(importlib.util.module_from_spec(spec))
            return


def _start():
    try:
        interval = float(os.environ.get("EXECUTOR_FLUSH_EVERY", "0.05"))
    except ValueError:
        interval = 0.05
    if interval > 0:
        _larger_blocks()
        _start_flusher(interval)
        os._exit = _exit_flushed
        # A forked child has no flusher thread: give it one of its own.
        os.register_at_fork(after_in_child=lambda: _start_flusher(interval))


_start()
_chain_next_sitecustomize()
