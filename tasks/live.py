"""Wake live viewers in this process the moment a run in this process writes output.

Viewers of runs supervised elsewhere (another web process, a Celery worker) poll the
database instead; this only shortens the wait when writer and reader share a process.
"""

import asyncio
import contextlib
import threading

_changed = threading.Condition()
_versions = {}
_async_waiters = {}  # task id -> {(event loop, future)}: viewers served by an ASGI server
MAX_TRACKED = 10_000


def version(task_id):
    return _versions.get(task_id, 0)


def notify(task_id):
    with _changed:
        if len(_versions) >= MAX_TRACKED:
            _versions.clear()  # waiters see a changed version and simply re-read
            waiters = [waiter for group in _async_waiters.values() for waiter in group]
            _async_waiters.clear()
        else:
            waiters = _async_waiters.pop(task_id, ())
        _versions[task_id] = _versions.get(task_id, 0) + 1
        _changed.notify_all()
    # Futures belong to their event loop's thread; the supervisor calling this does not.
    for loop, future in waiters:
        with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits
            loop.call_soon_threadsafe(_resolve, future)


def wait(task_id, seen, timeout):
    """Block until the task's version differs from `seen` or `timeout` passes."""
    with _changed:
        _changed.wait_for(lambda: _versions.get(task_id, 0) != seen, timeout)
        return _versions.get(task_id, 0)


async def wait_async(task_id, seen, timeout):
    """`wait` for coroutines: suspends only this coroutine, never the event loop's thread."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    waiter = (loop, future)
    with _changed:
        current = _versions.get(task_id, 0)
        if current != seen:
            return current
        _async_waiters.setdefault(task_id, set()).add(waiter)
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(future, timeout)
    finally:
        with _changed:
            group = _async_waiters.get(task_id)
            if group is not None:
                group.discard(waiter)
                if not group:
                    del _async_waiters[task_id]
    return _versions.get(task_id, 0)


def _resolve(future):
    if not future.done():
        future.set_result(None)
