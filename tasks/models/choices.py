"""The values a run's columns take: its status, how it ended, what started it, its streams."""

from django.db import models


class Status(models.TextChoices):
    # Written by services.execute; waits for a worker to claim it, oldest first.
    PENDING = "pending", "Pending"
    # A worker claimed it and its child process runs (or is being started).
    RUNNING = "running", "Running"
    # The script exited with code 0.
    SUCCESS = "success", "Success"
    # Non-zero exit, timeout, could not start, or its worker died (see end_reason).
    FAILED = "failed", "Failed"
    # Somebody cancelled it, before or while it ran.
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATUSES = (Status.SUCCESS, Status.FAILED, Status.CANCELLED)


class EndReason(models.TextChoices):
    # The script exited by itself; return_code says how.
    EXIT = "exit", "Exited"
    # It ran longer than its catalog timeout and was stopped.
    TIMEOUT = "timeout", "Timed out"
    # Somebody cancelled it.
    CANCELLED = "cancelled", "Cancelled"
    # Its worker stopped watching it (server shut down or died, heartbeat went stale).
    INTERRUPTED = "interrupted", "Interrupted"
    # The child process could not be started (missing script or interpreter, ...).
    SPAWN_ERROR = "spawn_error", "Could not start"


class Trigger(models.TextChoices):
    """What started a run: shown in the history, filtered on, and told to notifications."""

    MANUAL = "manual", "by hand"
    RERUN = "rerun", "re-run"
    SCHEDULE = "schedule", "schedule"
    API = "api", "API"
    TERMINAL = "terminal", "terminal"
    WEBHOOK = "webhook", "webhook"


class Stream(models.TextChoices):
    STDOUT = "out", "stdout"
    STDERR = "err", "stderr"
