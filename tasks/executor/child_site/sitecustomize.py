"""Put first on a Python script's path by the executor: live output without unbuffering.

Python block-buffers stdout into a pipe, so a script's output would reach the log only
in 8 KiB pieces or at its end; PYTHONUNBUFFERED fixes that at the price of a system call
per write (print() makes two: its text, then its newline), which made a million-line
script 1.4 to 2.7 times slower. Instead the buffers stay and a daemon thread flushes them
every EXECUTOR_FLUSH_EVERY seconds (the engine sets it), so a script that prints and then
waits shows its output within that time, and a flooding one writes whole 8 KiB blocks.

`os._exit()` flushes first (it would otherwise drop what is buffered). A script killed by
a signal loses at most one interval's output. Any other sitecustomize on the path still
runs: it is imported after this one, as Python would have imported it.
"""

import importlib.util
import os
import sys
import threading

_HERE = os.path.dirname(os.path.abspath(__file__))


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # noqa: S110 - a closed or replaced stream is the script's business
            pass


def _flush_every(interval, stop):
    while not stop.wait(interval):
        _flush()


def _start_flusher(interval):
    """A daemon thread that flushes, stopped and joined when the interpreter shuts down.

    It must not be running at finalization: a daemon thread frozen while it holds a
    stream's lock makes the final flush die with "could not acquire lock ... at
    interpreter shutdown". threading's own exit hooks run before that, while every thread
    still runs (atexit, the fallback, runs later but still before finalization)."""
    stop = threading.Event()
    flusher = threading.Thread(target=_flush_every, args=(interval, stop), daemon=True)
    flusher.start()

    def stop_flusher():
        stop.set()
        flusher.join(timeout=2)

    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        register(stop_flusher)
    else:  # pragma: no cover - every CPython we support has it
        import atexit

        atexit.register(stop_flusher)


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
        _start_flusher(interval)
        os._exit = _exit_flushed
        # A forked child has no flusher thread: give it one of its own.
        os.register_at_fork(after_in_child=lambda: _start_flusher(interval))


_start()
_chain_next_sitecustomize()
