"""What a live page shows about a run besides its log: the stream, the run page, the
panel and the history's live rows all send this one shape."""

# The row's columns a viewer needs; the log itself is read from LogChunk.
STATE_FIELDS = (
    "id",
    "status",
    "progress",
    "progress_message",
    "cancel_requested_at",
    "started_at",
    "completed_at",
    "duration",
    "return_code",
    "end_reason",
    "error",
    "exception",
    "killed",
    "peak_memory_kb",
    "cpu_seconds",
    "log_bytes",
    "log_dropped_bytes",
    "worker",
)
# Change with every read of a running task; a change in them alone is not news.
VOLATILE = ("elapsed", "log_bytes")


def task_state(task):
    """What a live page shows about a run besides its log (JSON-ready)."""
    duration = task.elapsed()
    return {
        "id": str(task.pk),
        "status": task.status,
        "status_display": task.get_status_display(),
        "finished": task.is_finished,
        "progress": task.progress,
        "progress_message": task.progress_message,
        "cancel_requested": task.cancel_requested_at is not None,
        "started_at": task.started_at.isoformat() if task.started_at else None,
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
        "elapsed": None if duration is None else round(duration.total_seconds(), 3),
        "return_code": task.return_code,
        "end_reason": task.end_reason,
        "end_reason_display": task.get_end_reason_display() if task.end_reason else "",
        "error": task.error,
        "exception": task.exception,
        "killed": task.killed,
        "peak_memory_kb": task.peak_memory_kb,
        "cpu_seconds": task.cpu_seconds,
        "log_bytes": task.log_bytes,
        "log_dropped_bytes": task.log_dropped_bytes,
    }
