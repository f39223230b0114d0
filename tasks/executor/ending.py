"""How a run ended, in the row's words: its status, end reason and error, from why the
supervisor stopped it (if it did) and the script's exit."""

import logging
from typing import Any

from tasks.models import EndReason, Status, Task

logger = logging.getLogger(__name__)

STOPPED_MESSAGE = "the server was stopped: it shut down during the run"


def end_of(stop_reason: str | None, return_code: int | None) -> tuple[str, str]:
    """A run's (status, end reason), from why it was stopped (if it was) and its exit."""
    if stop_reason == EndReason.TIMEOUT:
        return Status.FAILED, EndReason.TIMEOUT
    if stop_reason == EndReason.CANCELLED:
        return Status.CANCELLED, EndReason.CANCELLED
    if stop_reason == EndReason.INTERRUPTED:
        return Status.FAILED, EndReason.INTERRUPTED
    return (Status.SUCCESS if return_code == 0 else Status.FAILED), EndReason.EXIT


def end_fields(
    stop_reason: str | None, return_code: int | None, timeout: float, exception: str = ""
) -> dict[str, Any]:
    """The row's status, end_reason, return_code and (where there is one) error and
    exception line."""
    status, reason = end_of(stop_reason, return_code)
    fields: dict[str, Any] = {"status": status, "end_reason": reason, "return_code": return_code}
    if exception:
        # Only when there is one: naming the column in the UPDATE fires SQLite's search
        # trigger (migration 0015), which rewrites the run's search document.
        fields["exception"] = exception
    if reason == EndReason.TIMEOUT:
        fields["error"] = f"stopped after its timeout of {timeout:g} s"
    elif reason == EndReason.INTERRUPTED:
        fields["error"] = STOPPED_MESSAGE
    return fields


def record_crash(task: Task, exc: BaseException) -> None:
    """End a run whose supervisor failed (never raises: it runs on the way out)."""
    message = f"the supervisor failed: {type(exc).__name__}: {exc}"[:2000]
    try:
        task.finish(
            status=Status.FAILED,
            end_reason=EndReason.INTERRUPTED,
            error=message,
            sealed_secrets="",
        )
    except Exception:
        logger.exception("task %s: could not record the supervisor's failure", task.pk)
