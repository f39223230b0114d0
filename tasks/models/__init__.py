"""The run history: one Task row per run, its output as ordered LogChunk rows.

The models live in a module each; everything is importable from here.
"""

from tasks.models.audit import AuditAction, AuditEvent
from tasks.models.log import MAX_CHUNK, LogChunk
from tasks.models.retention import RetentionPass
from tasks.models.task import (
    FINISHED_STATUSES,
    EndReason,
    ScriptCatalog,
    Status,
    Stream,
    Task,
    TaskQuerySet,
    Trigger,
    duration_until,
)
from tasks.models.tokens import ScopedToken

__all__ = [
    "FINISHED_STATUSES",
    "MAX_CHUNK",
    "AuditAction",
    "AuditEvent",
    "EndReason",
    "LogChunk",
    "RetentionPass",
    "ScopedToken",
    "ScriptCatalog",
    "Status",
    "Stream",
    "Task",
    "TaskQuerySet",
    "Trigger",
    "duration_until",
]
