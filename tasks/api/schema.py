"""What the OpenAPI schema says the API answers: the real envelopes, errors included.

These serializers only describe responses (the views build them with `envelope.ok()`),
so the schema at /api/schema/ matches what a client receives, and schemathesis checks
that it does (tasks/tests/api/test_schema.py).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_serializer
from rest_framework import serializers

from tasks.api.serializers import (
    ArtifactSerializer,
    ScheduleSerializer,
    TaskListSerializer,
    TaskSerializer,
)
from tasks.models import Status


class ErrorEnvelope(serializers.Serializer):
    success = serializers.BooleanField(help_text="Always false.")
    error = serializers.CharField(help_text="What went wrong, in one sentence.")
    errors = serializers.JSONField(
        required=False, help_text="Field-by-field messages, where the request had fields."
    )


class TaskEnvelope(serializers.Serializer):
    success = serializers.BooleanField()
    task = TaskSerializer()


class RerunEnvelope(TaskEnvelope):
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Whether the script or the interpreter changed since the original run.",
    )


class DoneEnvelope(serializers.Serializer):
    success = serializers.BooleanField(help_text="Always true.")


class ScheduleEnvelope(serializers.Serializer):
    success = serializers.BooleanField()
    schedule = ScheduleSerializer()


# A list action's answer, yet one envelope object, not an array of them.
@extend_schema_serializer(many=False)
class SchedulesEnvelope(serializers.Serializer):
    success = serializers.BooleanField()
    schedules = ScheduleSerializer(many=True)


class ExecuteUpload(serializers.Serializer):
    """POST /api/execute as multipart/form-data, for scripts with `file` parameters."""

    script_type = serializers.CharField(help_text="The script's key.")
    params = serializers.CharField(
        required=False, help_text='The other parameters, as JSON text: {"name": value}.'
    )
    args = serializers.CharField(required=False, help_text='Free arguments, as JSON text: ["a"].')
    file = serializers.FileField(
        required=False,
        help_text=(
            "One field per file parameter, named after it (`file` stands for any name); "
            "repeat it for a parameter that takes several files."
        ),
    )


class ArtifactsEnvelope(serializers.Serializer):
    success = serializers.BooleanField()
    artifacts = ArtifactSerializer(many=True)
    summary = serializers.CharField(allow_blank=True, help_text="The run's Markdown summary.")
    files_note = serializers.CharField(allow_blank=True, help_text="Files a size cap left out.")
    artifact_bytes = serializers.IntegerField(help_text="Bytes its files (and uploads) hold.")


class LogPart(serializers.Serializer):
    offset = serializers.IntegerField()
    stream = serializers.ChoiceField(
        choices=["out", "err", "gap"], help_text='"gap": output the log cap dropped.'
    )
    text = serializers.CharField(allow_blank=True)


class LogsEnvelope(serializers.Serializer):
    success = serializers.BooleanField()
    logs = serializers.CharField(allow_blank=True)
    chunks = LogPart(many=True, required=False, help_text="With ?offset= only.")
    offset = serializers.IntegerField()
    next_offset = serializers.IntegerField(help_text="Send it as ?offset= to get what follows.")
    complete = serializers.BooleanField(help_text="The run has ended and this is the end.")
    log_bytes = serializers.IntegerField()
    dropped_bytes = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Status.choices)


class ParamSchema(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.ChoiceField(
        choices=[
            "string",
            "secret",
            "integer",
            "number",
            "boolean",
            "choice",
            "multichoice",
            "file",
        ]
    )
    label = serializers.CharField()
    help = serializers.CharField(allow_blank=True)
    required = serializers.BooleanField()
    default = serializers.JSONField(allow_null=True)
    pass_as = serializers.ChoiceField(choices=["argv", "env"])
    min = serializers.FloatField(required=False, allow_null=True)
    max = serializers.FloatField(required=False, allow_null=True)
    min_length = serializers.IntegerField(required=False)
    max_length = serializers.IntegerField(required=False)
    pattern = serializers.CharField(required=False, allow_null=True)
    choices = serializers.ListField(child=serializers.CharField(), required=False)
    # File parameters: sent as multipart uploads to POST /api/execute.
    extensions = serializers.ListField(child=serializers.CharField(), required=False)
    media_types = serializers.ListField(child=serializers.CharField(), required=False)
    max_size = serializers.IntegerField(required=False, allow_null=True)
    multiple = serializers.BooleanField(required=False)
    max_files = serializers.IntegerField(required=False)


class ScriptSchema(serializers.Serializer):
    key = serializers.CharField(help_text='What to send as "script_type".')
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    params = ParamSchema(many=True)
    allow_args = serializers.BooleanField()
    max_args = serializers.IntegerField()
    timeout = serializers.FloatField()
    queue = serializers.CharField()


class ScriptsEnvelope(serializers.Serializer):
    success = serializers.BooleanField()
    scripts = ScriptSchema(many=True)


class HealthEnvelope(serializers.Serializer):
    success = serializers.BooleanField()
    status = serializers.ChoiceField(choices=["healthy", "unhealthy"])
    database = serializers.CharField()
    engine = serializers.DictField(help_text="The execution backend's state.")
    error = serializers.CharField(required=False)


ERROR_MEANINGS = {
    400: "The request is malformed or does not fit the script's parameters.",
    401: "No valid session or token.",
    403: "Not allowed: outside the token's scope, a read-only token's write, or a session "
    "request without its CSRF token.",
    404: "No such run or schedule, or not one you may see.",
    409: "The run has already ended.",
    413: "The request body is too large.",
    415: "The body is not JSON.",
    429: "Too many runs started; see Retry-After.",
    503: "The script catalog cannot be loaded, or too many runs are waiting.",
}


def errors(*codes):
    return {
        code: OpenApiResponse(ErrorEnvelope, description=ERROR_MEANINGS[code]) for code in codes
    }


TASK_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The run's id."
)
ARTIFACT_ID = OpenApiParameter(
    "artifact_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The file's id."
)

LOG_PARAMETERS = [
    OpenApiParameter(
        "offset", int, description="A byte offset: return only what follows it (with chunks)."
    ),
    OpenApiParameter(
        "limit",
        int,
        description="Bytes to return from offset (default 1 MiB; alone, from the start).",
    ),
]


def drop_duplicate_paths(endpoints, **kwargs):
    """Preprocessing hook: each endpoint once (health answers with and without a slash),
    and not the catch-all that answers 404 for unknown URLs."""
    seen = set()
    kept = []
    for path, regex, method, callback in endpoints:
        key = (path.rstrip("/"), method)
        if key in seen or path.startswith("/api/."):
            continue
        seen.add(key)
        kept.append((path, regex, method, callback))
    return kept


__all__ = [
    "DoneEnvelope",
    "ErrorEnvelope",
    "HealthEnvelope",
    "LogsEnvelope",
    "RerunEnvelope",
    "ScheduleEnvelope",
    "SchedulesEnvelope",
    "ScriptsEnvelope",
    "TaskEnvelope",
    "TaskListSerializer",
]
