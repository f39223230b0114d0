"""What a notification says: one JSON-able payload per event, the same for every channel
(the webhook sends it as its body; e-mail and Apprise send its subject and text)."""

from typing import Any

from django.conf import settings
from django.urls import reverse

from tasks.models import LogChunk, Task

TAIL_LINES = 20
# Enough bytes from the end of the log for 20 lines of any sensible length.
TAIL_BYTES = 16 * 1024

SUBJECTS = {
    "failed": "{script} failed",
    "succeeded": "{script} succeeded",
    "recovered": "{script} recovered",
    "cancelled": "{script} was cancelled",
    "stalled": "{script} has printed nothing for a while",
    "overran": "{script} is running far longer than usual",
}


def run_url(task: Task) -> str:
    path = reverse("task-detail", args=[task.pk])
    return settings.EXECUTOR_BASE_URL.rstrip("/") + path


def last_lines(task_id: Any, count: int = TAIL_LINES) -> list[str]:
    """The last `count` lines of a run's stored log (stored masked: secret values never
    reach the log, so never a message), read from its last chunks only."""
    pieces: list[bytes] = []
    size = 0
    chunks = LogChunk.objects.filter(task_id=task_id).order_by("-offset").values_list("data")
    for (data,) in chunks.iterator(chunk_size=8):
        pieces.append(bytes(data))
        size += len(data)
        if size >= TAIL_BYTES or b"".join(reversed(pieces)).count(b"\n") > count:
            break
    text = b"".join(reversed(pieces))[-TAIL_BYTES:].decode("utf-8", "replace")
    return text.splitlines()[-count:]


def payload(task: Task, event: str, *, held_back: int = 0) -> dict[str, Any]:
    """The message for `event` on `task`: the README's "Notifications" section lists it."""
    duration = task.elapsed()
    data: dict[str, Any] = {
        "event": event,
        "subject": SUBJECTS[event].format(script=task.script),
        "run": {
            "id": str(task.pk),
            "script": task.script,
            "status": task.status,
            "trigger": task.trigger,
            "user": task.user_name,
            "duration_seconds": round(duration.total_seconds(), 3) if duration else None,
            "return_code": task.return_code,
            "end_reason": task.end_reason,
            "exception": task.exception,
            "error": task.error,
            "url": run_url(task),
        },
        "log_tail": last_lines(task.pk),
        # The Markdown summary the script wrote (EXECUTOR_SUMMARY), as it wrote it: masked
        # and size-capped when the run ended.
        "summary": task.summary,
        "held_back": held_back,
    }
    data["text"] = text(data)
    return data


def text(data: dict[str, Any]) -> str:
    """The plain-text body of e-mail and chat messages."""
    run = data["run"]
    lines = [
        data["subject"],
        "",
        f"Script: {run['script']}",
        f"Status: {run['status']}",
        f"Started by: {run['user']} ({run['trigger']})",
    ]
    if run["duration_seconds"] is not None:
        lines.append(f"Duration: {run['duration_seconds']:.1f} s")
    if run["exception"]:
        lines.append(f"Exception: {run['exception']}")
    if run["error"]:
        lines.append(f"Error: {run['error']}")
    if data["held_back"]:
        lines.append(f"({data['held_back']} earlier message(s) held back by damping)")
    lines.append(f"Run: {run['url']}")
    if data["summary"]:
        lines += ["", "Summary:", data["summary"].rstrip()]
    if data["log_tail"]:
        lines += ["", f"Last {len(data['log_tail'])} line(s) of the log:", *data["log_tail"]]
    return "\n".join(lines)
