"""A page's stream (`lines=1&skip=N`) that falls more than N bytes behind a live run
skips ahead to its end, led by a `skip` part the page draws as a note; every other
client of /tasks/<id>/events/ gets every byte, whatever it asks."""

import asyncio
import itertools
import threading
import time

import pytest
from asgiref.sync import async_to_sync
from django.db import connections
from django.test import AsyncClient, Client, RequestFactory

from tasks import services
from tasks.history import logs
from tasks.models import Status
from tasks.tests.factories import log_text, make_task, parse_sse
from tasks.tests.helpers import wait_finished
from tasks.web import stream

SKIP = 64 * 1024
LINES = 20_000
TEXT = "".join(f"line {number}\n" for number in range(1, LINES + 1))


def chunks(text, lines_per_chunk=1000):
    rows = text.splitlines(keepends=True)
    return [
        ("out", "".join(rows[at : at + lines_per_chunk]).encode())
        for at in range(0, len(rows), lines_per_chunk)
    ]


def page_parts(events):
    """The parts a page's `log` events carry, in order: [stream, text, at, line(, styles)]
    (events from the wire, or a Follower's, whose data is a Batch)."""
    logged = [getattr(data, "data", data) for name, _, data in events if name == "log"]
    return [part for data in logged for part in data["parts"]]


def page_text(events):
    return "".join(part[1] for part in page_parts(events))


@pytest.mark.django_db
def test_a_page_far_behind_a_live_run_skips_to_its_end_led_by_a_note(user):
    task = make_task(user, status=Status.RUNNING, log=chunks(TEXT))
    page = stream.Follower(task.pk, 0, lines=True, skip=SKIP, resumed=True)
    events, _, ended = page.step()
    assert not ended
    (log,) = [data.data for name, _, data in events if name == "log"]
    skip, *after = log["parts"]
    kind, text, _, line, styles = skip
    assert (kind, text, styles) == ("skip", "", {"out": "", "err": ""})
    assert log["offset"] == 0  # the note stands for everything from where the page was
    shown = "".join(part[1] for part in after)
    assert shown == "".join(f"line {number}\n" for number in range(line, LINES + 1))
    assert after[0][3] == line
    assert SKIP // 8 < len(shown.encode()) <= SKIP // 4 + 1000  # a screenful or two
    assert page.position == task.log_bytes
    assert page.pause > 0  # the next read waits: a flood is not sent a batch per write


@pytest.mark.django_db
def test_a_page_opening_a_live_run_starts_near_its_end_without_a_note(user):
    task = make_task(user, status=Status.RUNNING, log=chunks(TEXT))
    page = stream.Follower(task.pk, 0, lines=True, skip=SKIP)
    events, _, _ = page.step()
    names = [name for name, _, _ in events]
    assert names[:2] == ["styles", "log"]  # the colours where it starts come first
    log = events[1][2].data
    assert [part[0] for part in log["parts"]] == ["out"] * len(log["parts"])
    assert log["offset"] > 0
    assert TEXT.encode().endswith(page_text(events).encode())


@pytest.mark.django_db
def test_a_page_opening_a_finished_run_reads_its_tail_whole(user):
    task = make_task(user, log=chunks(TEXT))
    page = stream.Follower(task.pk, 0, lines=True, skip=SKIP)
    events = []
    while True:
        batch, _, ended = page.step()
        events += batch
        if ended:
            break
    assert page_text(events) == TEXT


def test_skip_is_for_pages_only():
    factory = RequestFactory()
    assert stream.page_skip(factory.get("/", {"skip": "100"})) == 0
    assert stream.page_skip(factory.get("/", {"skip": "100", "lines": "1"})) == 100
    with pytest.raises(logs.BadPosition):
        stream.page_skip(factory.get("/", {"skip": "-1", "lines": "1"}))


@pytest.mark.django_db
def test_a_bad_skip_is_refused(client, user):
    task = make_task(user, log=chunks(TEXT))
    client.force_login(user)
    assert client.get(f"/tasks/{task.pk}/events/?lines=1&skip=many").status_code == 400


@pytest.mark.slow
def test_during_a_flood_a_stream_client_gets_every_byte_and_a_page_skips(
    user, engine, settings, tmp_path
):
    settings.EXECUTOR_MAX_LOG_BYTES = 64 * 1024 * 1024
    go = tmp_path / "go"
    task = services.execute(user, "flood_after", {"before": 5, "lines": 300_000, "go": str(go)})
    bodies = {}

    def read(name, query):
        try:
            client = Client()
            client.force_login(user)
            response = client.get(f"/tasks/{task.pk}/events/{query}")
            bodies[name] = parse_sse(b"".join(response.streaming_content))
        finally:
            connections.close_all()  # this thread's, or the test database cannot be dropped

    readers = [
        threading.Thread(target=read, args=("stream", "?skip=65536")),  # not a page: ignored
        threading.Thread(target=read, args=("page", "?lines=1&skip=65536")),
    ]
    for reader in readers:
        reader.start()
    go.touch()
    for reader in readers:
        reader.join(120)
    assert wait_finished(task.pk).status == Status.SUCCESS
    whole = "".join(logs.iter_text(task.pk))
    assert whole.count("\n") == 300_005

    events = bodies["stream"]
    assert log_text(events) == whole  # every byte, in order
    offsets = [(data["offset"], data["next_offset"]) for name, _, data in events if name == "log"]
    assert all(end == start for (_, end), (start, _) in itertools.pairwise(offsets))

    page = bodies["page"]
    assert any(part[0] == "skip" for part in page_parts(page))
    shown = page_text(page)
    assert shown.endswith("line 300005 of the flood\n")  # it ends at the run's end
    assert len(shown) < len(whole) / 10


@pytest.mark.django_db(transaction=True)
def test_under_asgi_the_pause_after_a_skip_leaves_the_event_loop_free(user):
    """The pause after a skip suspends the viewer's coroutine (asyncio.sleep): the other
    viewers on the same event loop go on meanwhile."""
    task = make_task(user, status=Status.RUNNING, log=chunks(TEXT))
    client = AsyncClient()

    async def read():
        await client.aforce_login(user)
        response = await client.get(f"/tasks/{task.pk}/events/?lines=1&skip={SKIP}&offset=0")
        content = aiter(response.streaming_content)
        received = b""
        while b"event: state" not in received:  # the skip's batch, then the run's state
            received += await anext(content)
        pausing = asyncio.ensure_future(anext(content))  # the next read: after the pause
        started = time.monotonic()
        await asyncio.sleep(0.05)  # another coroutine on the same loop
        lag = time.monotonic() - started
        pausing.cancel()
        return parse_sse(received), lag

    events, lag = async_to_sync(read)()
    assert page_parts(events)[0][0] == "skip"
    assert lag < stream.SKIP_PAUSE / 2


@pytest.mark.django_db
def test_a_page_that_was_following_skips_even_once_the_run_has_ended(user):
    """Its next poll, or its reconnect, after the flood's end: it was following, so it is
    sent the end, not the flood."""
    task = make_task(user, log=chunks(TEXT))
    page = stream.Follower(task.pk, 0, lines=True, skip=SKIP, resumed=True)
    events, _, _ = page.step()
    assert page_parts(events)[0][0] == "skip"
    assert page_text(events).endswith(f"line {LINES}\n")
