"""The live view of one run: its log and state as Server-Sent Events, or one poll at a time.

A viewer's position is a byte offset in the run's output. Every log event carries the
offset after its last byte as its SSE id, so a browser that reconnects sends it back as
`Last-Event-ID` and resumes exactly there: no line lost, none repeated. The polling
fallback (`task_poll`) answers the same batches as JSON, from an `offset` parameter.

Order of reads: the row first, then the chunks. The supervisor writes a run's last
chunks and its final status in one transaction, so once the row says "finished", every
chunk is already readable, and the stream ends only after sending all of them.

Under WSGI (runserver, gunicorn) the stream is a plain generator: one thread per viewer,
waiting in `live.wait`. Under ASGI (uvicorn) it is an async generator that waits in
`live.wait_async`, so viewers cost no thread while idle; its reads run through
`sync_to_async` in the request's own thread (Django gives every ASGI request its own
thread-sensitive context), so fifty viewers never queue behind one thread.
"""

import asyncio
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from tasks import live, viewer_priority
from tasks.history import log_styles, logs
from tasks.models import LogChunk
from tasks.services.engine import this_worker
from tasks.web.client_auth import refused, session_or_token, token_scope_refusal
from tasks.web.state import VOLATILE
from tasks.web.stream_batches import ROWS, SHARED, Batch, batch_bytes, encode
from tasks.web.views.common import visible_task

KEEPALIVE = 15.0  # seconds of silence before a comment line: finds dead connections
OWN_RUN_TIMEOUT = 5.0  # runs supervised here wake viewers at once; this is a safety net
RETRY_MS = 1000  # how soon a browser reconnects after a dropped stream
MAX_TAIL = 16 * 1024 * 1024
ROW_WHILE_BEHIND = 0.25  # seconds between reads of the row while a viewer catches up
# A page (`skip=N`) more than N bytes behind the live end jumps to its last N / 4 bytes,
# then reads again only after SKIP_PAUSE: during a flood it gets a screenful or two once
# a second, not the flood (which cost the run its speed: the page's browser and its
# thread here took the CPU and the interpreter lock the run's reader needed; updates
# twice a second cost the browser 0.08 of a core more than once).
SKIP_TAIL_SHARE = 4
SKIP_PAUSE = 1.0


def _news(state):
    return {key: value for key, value in state.items() if key not in VOLATILE}


class Follower:
    """One viewer's cursor over one run: each `step()` reads what is new since the last."""

    def __init__(self, task_id, position, lines=False, colours=False, skip=0, resumed=False):
        self.task_id = task_id
        self.position = position
        # skip=N (pages only): how far behind the live end this viewer may fall. The tail
        # of a finished run it opens it reads whole (backlog_end).
        self.skip = skip
        self.backlog_end = None  # known at the first read
        self.shown = resumed  # the page shows output already: a skip is said, with a note
        self.resume_at = 0.0  # after a skip, the next read waits until then
        # ?lines=1 (the pages): each part also carries its arrival time and line number
        self.lines = lines
        # A page that starts at a tail is told the colours in force there, once, first.
        self.colours = colours and position > 0
        self.state = None
        self.worker = ""
        self.task = None
        self.row_read_at = 0.0
        self.behind = False  # the last batch was full: more output was waiting

    def step(self):
        """Read the row, then the output after the cursor.

        Returns (events, more, ended): `events` are (name, id, data) triples (a `log`
        event's data is its shared Batch), `more`
        says that output is waiting beyond this batch, `ended` that the run is over and
        everything it wrote has been returned.

        A viewer catching up reads the row again only every ROW_WHILE_BEHIND: its state
        changes far less often than a batch goes by, and fifty viewers reading it for
        every batch kept the run's supervisor from the interpreter lock. An older row
        with newer output is safe: the run ends for a viewer only once it has read
        everything the row says was written."""
        now = time.monotonic()
        task = self.task
        fresh = task is None or not self.behind or now - self.row_read_at >= ROW_WHILE_BEHIND
        # A page past its backlog needs the live end to know whether to skip to it.
        fresh = fresh or bool(self.skip and self.position >= (self.backlog_end or 0))
        if fresh:
            task, state = ROWS.read(self.task_id, live.version(self.task_id))
            if task is None:
                # Deleted while watched (purged): nothing more will ever come.
                gone = {"id": str(self.task_id), "gone": True}
                return [("end", self.position, gone)], False, True
            self.task, self.row_read_at = task, now
        if self.backlog_end is None:
            # Only a page opening a finished run reads what it asked for whole; one that
            # was following (it resumes: a reconnect, the next poll) may skip at once.
            opening_finished = task.is_finished and not self.shown
            self.backlog_end = task.log_bytes if opening_finished else 0
        self.worker = task.worker
        events = []
        skipped = self._skip_ahead(task, now)
        if self.colours:
            self.colours = False
            styles = log_styles.styles_at(self.task_id, self.position)
            events.append(("styles", self.position, styles))
        batch = skipped or SHARED.read(self.task_id, self.position, self.lines)
        # A batch shared from earlier may have ended at the live end of then: more is
        # waiting when the row says so, not only after a full batch (waiting for news
        # there, a viewer of a run that had ended waited OWN_RUN_TIMEOUT for nothing).
        more = batch.size >= batch_bytes(self.lines) or bool(
            batch.data["parts"] and batch.next_offset < task.log_bytes
        )
        if batch.data["parts"]:
            events.append(("log", batch.next_offset, batch))
            self.position = batch.next_offset
            self.shown = True
        self.behind = more
        state = state if fresh else self.state
        # Viewers of one run share the state of one row read: the same object is no news.
        if state is not self.state and (self.state is None or _news(state) != _news(self.state)):
            events.append(("state", self.position, state))
        self.state = state
        ended = task.is_finished and not more and self.position >= task.log_bytes
        if ended:
            events.append(("end", self.position, state))
        # At the end an older row knew of: the next read (at once) reads the row again,
        # rather than wait for news of writes that may all have been made meanwhile.
        return events, more or not (fresh or ended), ended

    def _skip_ahead(self, task, now):
        """The batch at the live end when this page fell more than `skip` bytes behind,
        led by a `skip` part: ["skip", "", null, the line it goes on at, the colours in
        force there]. The page draws a note there that opens what it skipped. None when
        it reads on from where it is.

        A page that opens on a live run starts near its end the same way, without a
        note: it says that earlier output is not shown, and fetches it as the reader
        scrolls up (static/js/log_window.js)."""
        if not self.skip or self.position < self.backlog_end:
            return None
        end = task.log_bytes
        if end - self.position <= self.skip:
            return None
        target = line_start_after(self.task_id, end - self.skip // SKIP_TAIL_SHARE)
        if target <= self.position:
            return None
        start, self.position = self.position, target
        self.resume_at = now + SKIP_PAUSE
        # Up to the end the row said (whole chunks): what the run wrote since waits for
        # the next read, after the pause.
        batch = Batch(logs.read(self.task_id, target, max(1, end - target)), self.lines)
        if not self.shown:
            self.colours = self.lines  # the colours in force there come first
            return batch
        parts = batch.data["parts"]
        line = parts[0][3] if parts and self.lines else None
        styles = log_styles.styles_at(self.task_id, target)
        batch.data["offset"] = start
        parts.insert(0, ["skip", "", None, line, styles])
        return batch

    @property
    def pause(self):
        """Seconds to wait before the next read (after a skip), else 0."""
        return max(0.0, self.resume_at - time.monotonic())

    def wait_timeout(self):
        if self.worker and self.worker == this_worker():
            return OWN_RUN_TIMEOUT
        return settings.EXECUTOR_LIVE_POLL_INTERVAL


class EventStream:
    """The bytes of one viewer's SSE response, a read at a time. The two generators
    below only add the waiting between reads, each in its server's way."""

    def __init__(self, follower):
        self.follower = follower
        self.task_id = follower.task_id
        self.ended = False
        self.last_sent = time.monotonic()

    def opening(self):
        return f"retry: {RETRY_MS}\n\n".encode()

    def read(self):
        """(bytes to send, possibly none; whether to wait for news before the next
        read). After the last bytes of a run, `ended` is true."""
        events, more, self.ended = self.follower.step()
        data = b"".join(
            event[2].encoded() if event[0] == "log" else encode(*event) for event in events
        )
        now = time.monotonic()
        if not data and now - self.last_sent >= KEEPALIVE:
            data = b": keep-alive\n\n"
        if data:
            self.last_sent = now
        return data, not (more or self.ended)

    @property
    def timeout(self):
        return min(self.follower.wait_timeout(), KEEPALIVE)


def events_sync(stream, thread_per_request=False):
    """For WSGI servers: blocks this request's thread between reads. The thread yields
    the processors to the runs meanwhile (tasks/viewer_priority.py)."""
    yield stream.opening()
    with viewer_priority.behind_the_runs(thread_per_request):
        while not stream.ended:
            seen = live.version(stream.task_id)
            data, wait = stream.read()
            if data:
                yield data
            if pause := stream.follower.pause:
                time.sleep(pause)
            elif wait:
                live.wait(stream.task_id, seen, stream.timeout)


async def events_async(stream):
    """For ASGI servers: suspends only this coroutine between reads."""
    read = sync_to_async(stream.read)  # thread-sensitive: this request's own thread
    yield stream.opening()
    while not stream.ended:
        seen = live.version(stream.task_id)
        data, wait = await read()
        if data:
            yield data
        if pause := stream.follower.pause:
            await asyncio.sleep(pause)
        elif wait:
            await live.wait_async(stream.task_id, seen, stream.timeout)


def start_position(request, task):
    """Where a viewer starts: `Last-Event-ID` (a reconnect), else `offset`, else the
    start of the last `tail` bytes (a whole line), else the beginning."""
    raw = request.headers.get("Last-Event-ID") or request.GET.get("offset")
    if raw is not None and raw != "":
        position = logs.whole_number(raw, "offset")
        return min(position, task.log_bytes)
    raw_tail = request.GET.get("tail")
    if raw_tail:
        tail = min(logs.whole_number(raw_tail, "tail"), MAX_TAIL)
        if task.log_bytes > tail:
            return line_start_after(task.pk, task.log_bytes - tail)
    return 0


def from_tail(request):
    """Whether a page starts at the tail: not a reconnect, nor a given offset, and lines
    (a page's stream) asked for; then it is told the colours in force there first."""
    return (
        not resumed(request) and bool(request.GET.get("tail")) and request.GET.get("lines") == "1"
    )


def page_skip(request):
    """`skip=N` of a page's stream (lines=1): bytes it may fall behind before it skips
    ahead; 0 (never skip, every byte) for every other client."""
    raw = request.GET.get("skip")
    if not raw or request.GET.get("lines") != "1":
        return 0
    return logs.whole_number(raw, "skip")


def resumed(request):
    return bool(request.headers.get("Last-Event-ID") or request.GET.get("offset"))


def line_start_after(task_id, offset):
    """The offset of the first line that starts at or after `offset` (or `offset` itself
    when no line break follows within a chunk's reach), so a tail starts on a whole line."""
    chunks = (
        LogChunk.objects.filter(task_id=task_id, offset__gt=offset - logs.MAX_CHUNK)
        .order_by("offset")
        .values_list("offset", "data")
    )
    # Not the first two after offset - MAX_CHUNK: chunks are often smaller (a flush's
    # worth), and both ended before `offset`, which then started in the middle of a line.
    for start, data in chunks.iterator(chunk_size=8):
        data = bytes(data)
        if start + len(data) <= offset:
            continue
        if start >= offset:
            return start  # the supervisor writes whole lines: a chunk starts one
        newline = data.find(b"\n", offset - start)
        if newline != -1:
            return start + newline + 1
    return offset


@session_or_token
@require_GET
def task_events(request, pk):
    """GET /tasks/<id>/events: Server-Sent Events `log`, `state` and `end`."""
    task = visible_task(request.user, pk)
    refusal = token_scope_refusal(request, task)
    if refusal is not None:
        return refusal
    try:
        position, skip = start_position(request, task), page_skip(request)
    except logs.BadPosition as exc:
        # An API client's mistake: the API's envelope, as every other answer here is.
        return refused(str(exc), status=400)
    lines = request.GET.get("lines") == "1"
    follower = Follower(task.pk, position, lines, from_tail(request), skip, resumed(request))
    stream = EventStream(follower)
    # An ASGI server needs an async iterator to stream (Django would collect a sync one
    # into a list first); a WSGI server needs a sync one.
    asgi = isinstance(request, ASGIRequest)
    if asgi:
        content = events_async(stream)
    else:
        per_request = bool(request.META.get(viewer_priority.THREAD_PER_REQUEST))
        content = events_sync(stream, per_request)
    response = StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


@session_or_token
@require_GET
def task_poll(request, pk):
    """GET /tasks/<id>/poll?offset=N: one batch of what the stream would send, as JSON.

    The fallback for browsers or proxies where Server-Sent Events do not get through."""
    task = visible_task(request.user, pk)
    refusal = token_scope_refusal(request, task)
    if refusal is not None:
        return refusal
    try:
        position, skip = start_position(request, task), page_skip(request)
    except logs.BadPosition as exc:
        return refused(str(exc), status=400)
    lines = request.GET.get("lines") == "1"
    follower = Follower(task.pk, position, lines, from_tail(request), skip, resumed(request))
    events, more, ended = follower.step()
    log = next((batch.data for name, _, batch in events if name == "log"), None)
    styles = next((data for name, _, data in events if name == "styles"), None)
    return JsonResponse(
        {
            "offset": position,
            "next_offset": follower.position,
            "parts": log["parts"] if log else [],
            **({"styles": styles} if styles else {}),
            "state": follower.state,
            "more": more,
            "end": ended,
        },
        json_dumps_params={"ensure_ascii": False},
    )
