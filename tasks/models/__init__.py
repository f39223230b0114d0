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
from tasks.models.choices import FINISHED_STATUSES, EndReason, Status, Stream, Trigger
from tasks.models.figures import ScriptException, ScriptHour, ScriptTotal
from tasks.models.hooks import Hook, HookCall
from tasks.models.identity import ProviderIdentity
from tasks.models.log import MAX_CHUNK, LogChunk
from tasks.models.notifications import (
    Channel,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    Event,
    Subscription,
)
from tasks.models.retention import RetentionPass
from tasks.models.schedule import (
    ClaimLost,
    Firing,
    FiringOutcome,
    MissedPolicy,
    OverlapPolicy,
    Schedule,
    TimetableKind,
)
from tasks.models.task import ScriptCatalog, Task, TaskQuerySet, duration_until
from tasks.models.tokens import ScopedToken
from tasks.models.watch import RunEvent

__all__ = [
    "ARTIFACT_CHUNK",
    "FINISHED_STATUSES",
    "MAX_CHUNK",
    "Artifact",
    "ArtifactChunk",
    "ArtifactKind",
    "AuditAction",
    "AuditEvent",
    "Channel",
    "ChannelKind",
    "ClaimLost",
    "Delivery",
    "DeliveryStatus",
    "EndReason",
    "Event",
    "Firing",
    "FiringOutcome",
    "Hook",
    "HookCall",
    "LogChunk",
    "MissedPolicy",
    "OverlapPolicy",
    "ProviderIdentity",
    "RetentionPass",
    "RunEvent",
    "Schedule",
    "ScopedToken",
    "ScriptCatalog",
    "ScriptException",
    "ScriptHour",
    "ScriptTotal",
    "Status",
    "Stream",
    "Subscription",
    "Task",
    "TaskQuerySet",
    "TimetableKind",
    "Trigger",
    "artifact_bytes",
    "duration_until",
]
