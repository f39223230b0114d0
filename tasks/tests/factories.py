"""Rows for tests of the pages: runs in any state, with a log, without running anything."""

import json
from datetime import timedelta

from django.utils import timezone

from tasks.models import LogChunk, Status, Task

FINISHED = {Status.SUCCESS, Status.FAILED, Status.CANCELLED}


def make_task(user, script="echo", status=Status.SUCCESS, log=(), **fields):
    """A run of `script` by `user`; `log` is a list of (stream, bytes) written in order."""
    now = timezone.now()
    values = {
        "script": script,
        "script_path": f"{script}.py",
        "interpreter": "python3",
        "argv": ["python3", f"{script}.py"],
        "timeout": 30,
        "user": user,
        "user_name": user.get_username(),
        "status": status,
        "created_at": now,
    }
    if status != Status.PENDING:
        values["started_at"] = now
    if status in FINISHED:
        values["completed_at"] = now + timedelta(seconds=2)
        values["end_reason"] = "cancelled" if status == Status.CANCELLED else "exit"
        values["return_code"] = 0 if status == Status.SUCCESS else 1
    values.update(fields)
    task = Task.objects.create(**values)
    write_log(task, log)
    return task


def write_log(task, parts):
    offset = task.log_bytes
    for stream, data in parts:
        LogChunk.objects.create(task=task, offset=offset, stream=stream, data=data)
        offset += len(data)
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
