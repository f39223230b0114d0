"""Task rows as the engine leaves them, written directly: for tests of history, purging
and the admin that need many runs and no child processes."""

from datetime import timedelta

from django.utils import timezone

from tasks.models import EndReason, LogChunk, Status, Stream, Task

ENDINGS = {
    Status.PENDING: "",
    Status.RUNNING: "",
    Status.SUCCESS: EndReason.EXIT,
    Status.FAILED: EndReason.EXIT,
    Status.CANCELLED: EndReason.CANCELLED,
}


def task_row(user=None, *, status=Status.SUCCESS, script="echo", age=timedelta(0), **fields):
    """An unsaved Task: `age` back from now, finished a second after it started."""
    created = timezone.now() - age
    finished = status not in (Status.PENDING, Status.RUNNING)
    values = {
        "script": script,
        "script_path": f"{script}.py",
        "interpreter": "/usr/bin/python3",
        "argv": ["/usr/bin/python3", f"{script}.py"],
        "timeout": 30,
        "user": user,
        "user_name": user.get_username() if user else "gone",
        "status": status,
        "created_at": created,
        "started_at": None if status == Status.PENDING else created,
        "completed_at": created + timedelta(seconds=1) if finished else None,
        "end_reason": ENDINGS[status],
        "return_code": (0 if status == Status.SUCCESS else 1) if finished else None,
    }
    values.update(fields)
    return Task(**values)


def make_task(user=None, *, log=b"", **fields):
    """A saved Task whose log is `log` (bytes on stdout, in 64 KiB chunks)."""
    task = task_row(user, log_bytes=len(log), **fields)
    task.save()
    add_log(task, log)
    return task


def add_log(task, log, chunk=64 * 1024, start=0):
    """Store `log` as the task's output from byte `start` on."""
    LogChunk.objects.bulk_create(
        LogChunk(task=task, offset=start + at, stream=Stream.STDOUT, data=log[at : at + chunk])
        for at in range(0, len(log), chunk)
    )


def make_tasks(count, user=None, *, age=timedelta(0), log_size=0, **fields):
    """`count` saved runs, one second apart going back from `age` (the newest first),
    each with a log of `log_size` bytes in one chunk. Fast enough for tens of thousands."""
    rows = [
        task_row(user, log_bytes=log_size, age=age + timedelta(seconds=index), **fields)
        for index in range(count)
    ]
    Task.objects.bulk_create(rows, batch_size=2000)
    if log_size:
        data = b"x" * (log_size - 1) + b"\n"
        LogChunk.objects.bulk_create(
            (LogChunk(task=row, offset=0, stream=Stream.STDOUT, data=data) for row in rows),
            batch_size=2000,
        )
    return rows
