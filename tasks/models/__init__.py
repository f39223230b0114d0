"""The run history: one Task row per run, its output as ordered LogChunk rows.

The models live in a module each; everything is importable from here.
"""

from tasks.models.audit import AuditAction, AuditEvent
from tasks.models.log import MAX_CHUNK, LogChunk
from tasks.models.retention import RetentionPass
from tasks.models.schedule import (
    Firing,
    FiringOutcome,
    MissedPolicy,
    OverlapPolicy,
    Schedule,
    TimetableKind,
)
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

__all__ = [
    "FINISHED_STATUSES",
    "MAX_CHUNK",
    "AuditAction",
    "AuditEvent",
    "EndReason",
    "Firing",
    "FiringOutcome",
    "LogChunk",
    "MissedPolicy",
    "OverlapPolicy",
    "RetentionPass",
    "Schedule",
    "ScriptCatalog",
    "Status",
    "Stream",
    "Task",
    "TaskQuerySet",
    "TimetableKind",
    "Trigger",
    "duration_until",
]
