"""The run history: one Task row per run, its output as ordered LogChunk rows.

The models live in a module each; everything is importable from here.
"""

from tasks.models.artifact import (
    ARTIFACT_CHUNK,
    Artifact,
    ArtifactChunk,
    ArtifactKind,
    artifact_bytes,
)
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

__all__ = [
    "ARTIFACT_CHUNK",
    "FINISHED_STATUSES",
    "MAX_CHUNK",
    "Artifact",
    "ArtifactChunk",
    "ArtifactKind",
    "AuditAction",
    "AuditEvent",
    "EndReason",
    "LogChunk",
    "RetentionPass",
    "ScriptCatalog",
    "Status",
    "Stream",
    "Task",
    "TaskQuerySet",
    "Trigger",
    "artifact_bytes",
    "duration_until",
]
