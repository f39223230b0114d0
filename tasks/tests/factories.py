"""Rows for tests: runs in any state, with a log, without running anything; and readers
for what the live stream sends."""

import json
from datetime import timedelta

from django.utils import timezone

from tasks.models import LogChunk, Status, Task


def make_task(
    user, script="echo", status=Status.SUCCESS, age_minutes=0, output=b"", log=(), **fields
):
    """A finished (or given-status) run. `output` is its stdout in one chunk; `log` a list
    of (stream, bytes) written in order after it."""
    created = timezone.now() - timedelta(minutes=age_minutes)
    defaults = {
        "script": script,
        "script_path": f"{script}.py",
        "interpreter": "/usr/bin/python3",
        "argv": ["/usr/bin/python3", f"{script}.py"],
        "timeout": 30,
        "user": user,
        "user_name": user.username,
        "status": status,
        "created_at": created,
        "stdout_tail": output.decode(),
    }
    if status != Status.PENDING:
        defaults["started_at"] = created + timedelta(seconds=1)
    if status in (Status.SUCCESS, Status.FAILED, Status.CANCELLED):
        defaults["completed_at"] = created + timedelta(seconds=3)
        defaults["duration"] = timedelta(seconds=2)
        defaults["return_code"] = 0 if status == Status.SUCCESS else 1
        defaults["end_reason"] = "cancelled" if status == Status.CANCELLED else "exit"
    defaults.update(fields)
    task = Task.objects.create(**defaults)
    write_log(task, [("out", output)] if output else [])
    write_log(task, log)
    return task


def write_log(task, parts):
    """Append (stream, bytes) chunks to the run's log, as the supervisor would."""
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
