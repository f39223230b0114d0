"""Rows for tests: runs in any state, with a log, without running anything (one at a
time, or tens of thousands at once); and readers for what the live stream sends."""

import functools
import json
from datetime import timedelta

from django.utils import timezone

from tasks.models import LogChunk, Status, Task


def task_row(user, script="echo", status=Status.SUCCESS, age_minutes=0, **fields):
    """An unsaved run in the given status, as the engine leaves it; `user` may be None
    (a run whose user was deleted)."""
    created = timezone.now() - timedelta(minutes=age_minutes)
    values = {
        "script": script,
        "script_path": f"{script}.py",
        "interpreter": "/usr/bin/python3",
        "argv": ["/usr/bin/python3", f"{script}.py"],
        "timeout": 30,
        "user": user,
        "user_name": user.username if user else "gone",
        "status": status,
        "created_at": created,
    }
    if status != Status.PENDING:
        values["started_at"] = created + timedelta(seconds=1)
    if status in (Status.SUCCESS, Status.FAILED, Status.CANCELLED):
        values["completed_at"] = created + timedelta(seconds=3)
        values["duration"] = timedelta(seconds=2)
        values["return_code"] = 0 if status == Status.SUCCESS else 1
        values["end_reason"] = "cancelled" if status == Status.CANCELLED else "exit"
    values.update(fields)
    return Task(**values)


def make_task(
    user, script="echo", status=Status.SUCCESS, age_minutes=0, output=b"", log=(), **fields
):
    """A finished (or given-status) run. `output` is its stdout in one chunk; `log` a list
    of (stream, bytes) written in order after it."""
    task = task_row(user, script, status, age_minutes, stdout_tail=output.decode(), **fields)
    task.save()
    write_log(task, [("out", output)] if output else [])
    write_log(task, log)
    return task


def finished_run(
    user, script="echo", status=Status.SUCCESS, *, created_at=None, seconds=2.0, **fields
):
    """A run ended through the real verb (`Task.finish`), so that the figures of
    tasks/models/figures.py count it: created at `created_at` (default now), started then
    unless `started=False` (a run cancelled while pending), ended `seconds` later."""
    created = created_at or timezone.now()
    started = fields.pop("started", True)
    state = Status.RUNNING if started else Status.PENDING
    task = task_row(
        user, script, state, created_at=created, started_at=created if started else None
    )
    task.save()
    fields.setdefault("return_code", None if not started else int(status != Status.SUCCESS))
    reason = "cancelled" if status == Status.CANCELLED else "exit"
    completed = created + timedelta(seconds=seconds)
    assert task.finish(status=status, end_reason=reason, completed_at=completed, **fields)
    return task


def make_tasks(count, user, *, age_minutes=0, log_size=0, **fields):
    """`count` saved runs a second apart, going back from `age_minutes` ago (the newest
    first), each with a log of `log_size` bytes in one chunk: tens of thousands in seconds."""
    rows = []
    for index in range(count):
        row = task_row(user, age_minutes=age_minutes, log_bytes=log_size, **fields)
        row.created_at -= timedelta(seconds=index)
        rows.append(row)
    Task.objects.bulk_create(rows, batch_size=2000)
    if log_size:
        data = b"x" * (log_size - 1) + b"\n"
        LogChunk.objects.bulk_create(
            (LogChunk(task=row, offset=0, stream="out", data=data) for row in rows),
            batch_size=2000,
        )
    return rows


def write_log(task, parts):
    """Append (stream, bytes) chunks to the run's log, as the supervisor would."""
    offset = task.log_bytes
    written = LogChunk.objects.filter(task=task).values_list("data", flat=True)
    line = sum(bytes(data).count(b"\n") for data in written)
    for stream, data in parts:
        LogChunk.objects.create(
            task=task, offset=offset, stream=stream, data=data, line=line, at=timezone.now()
        )
        offset += len(data)
        line += data.count(b"\n")
    Task.objects.filter(pk=task.pk).update(log_bytes=offset)
    task.log_bytes = offset


def parse_sse(raw):
    """Server-Sent Events as (event, id, data) with `data` decoded from JSON; comments
    and the retry field are left out."""
    events = []
    for block in raw.decode().split("\n\n"):
        fields = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        if "event" in fields:
            events.append((fields["event"], int(fields["id"]), json.loads(fields["data"])))
    return events


def log_text(events):
    """The log the `log` events carry, joined in order."""
    return "".join(text for name, _, data in events if name == "log" for _, text in data["parts"])


@functools.cache
def _numbered_chunks(lines, marked, mark, chunk_lines):
    """The chunks' bytes of a numbered log, built once per test process: building ten
    million lines takes seconds, and every test of a long log wants the same one."""
    return tuple(
        b"".join(
            b"line %d%s\n" % (n, mark if n in marked else b"")
            for n in range(first, min(first + chunk_lines, lines + 1))
        )
        for first in range(1, lines + 1, chunk_lines)
    )


def write_long_log(task, lines, marked=(), mark=b" needle", chunk_lines=4096, start=None):
    """A log of `lines` numbered lines ("line 1" ...), the lines in `marked` ending with
    `mark`, written straight as chunk rows with their line index and arrival times (a
    millisecond apart): 10,000,000 lines in a few seconds."""
    start = start or timezone.now()
    offset, batch = 0, []
    chunks = _numbered_chunks(lines, frozenset(marked), mark, chunk_lines)
    for index, data in enumerate(chunks):
        at = start + timedelta(milliseconds=index)
        line = index * chunk_lines
        batch.append(LogChunk(task=task, offset=offset, stream="out", data=data, line=line, at=at))
        offset += len(data)
        if len(batch) >= 100:
            LogChunk.objects.bulk_create(batch)
            batch = []
    LogChunk.objects.bulk_create(batch)
    Task.objects.filter(pk=task.pk).update(log_bytes=offset)
    task.log_bytes = offset
    return offset
