"""tasks.live: wake-ups for viewers in this process, threads and coroutines alike."""

import asyncio
import threading
import uuid

from tasks import live


def test_a_coroutine_waiting_for_a_task_wakes_when_another_thread_notifies():
    task_id = uuid.uuid4()

    async def scenario():
        seen = live.version(task_id)
        notifier = threading.Timer(0.05, live.notify, args=[task_id])
        notifier.start()
        try:
            return seen, await live.wait_async(task_id, seen, timeout=30)
        finally:
            notifier.join()

    seen, now = asyncio.run(scenario())
    assert now == seen + 1
    assert task_id not in live._async_waiters  # nothing left behind


def test_a_change_before_the_wait_returns_at_once():
    task_id = uuid.uuid4()
    seen = live.version(task_id)
    live.notify(task_id)
    assert asyncio.run(live.wait_async(task_id, seen, timeout=30)) == seen + 1


def test_without_news_the_wait_times_out_and_cleans_up():
    task_id = uuid.uuid4()
    assert asyncio.run(live.wait_async(task_id, 0, timeout=0.01)) == 0
    assert task_id not in live._async_waiters


def test_a_notify_for_another_task_does_not_wake_the_waiter():
    task_id, other = uuid.uuid4(), uuid.uuid4()

    async def scenario():
        notifier = threading.Timer(0.01, live.notify, args=[other])
        notifier.start()
        try:
            return await live.wait_async(task_id, 0, timeout=0.2)
        finally:
            notifier.join()

    assert asyncio.run(scenario()) == 0
