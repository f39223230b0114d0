from datetime import timedelta

from django.utils import timezone

from tasks.models import LogChunk, Status, Task


def make_task(user, script="echo", status=Status.SUCCESS, age_minutes=0, output=b"", **fields):
    """A finished (or given-status) run, without running anything."""
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
        "log_bytes": len(output),
        "stdout_tail": output.decode(),
    }
    if status != Status.PENDING:
        defaults["started_at"] = created + timedelta(seconds=1)
    if status in (Status.SUCCESS, Status.FAILED, Status.CANCELLED):
        defaults["completed_at"] = created + timedelta(seconds=3)
        defaults["duration"] = timedelta(seconds=2)
        defaults["return_code"] = 0 if status == Status.SUCCESS else 1
        defaults["end_reason"] = "exit"
    defaults.update(fields)
    task = Task.objects.create(**defaults)
    if output:
        LogChunk.objects.create(task=task, offset=0, stream="out", data=output)
    return task
