"""The task object of the seed's API, plus what this product adds; and request shapes."""

import uuid
from datetime import UTC

from django.db import models
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

from tasks.models import Artifact, EndReason, Schedule, Status, Task
from tasks.schedules import timetables

LIST_TAIL = 200
# Stands for a run's id in a URL reversed once (TaskSerializer._link).
LINK_PLACEHOLDER = uuid.UUID(int=0)


class UTCDateTimeField(serializers.DateTimeField):
    """API times are in UTC ("...Z") whatever DJANGO_TIME_ZONE says: that setting is for
    the pages people read, and a client should not have to know how the server is set."""

    def default_timezone(self):
        return UTC


class APIModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
    }


class TaskSerializer(APIModelSerializer):
    """The full task object (detail views): the seed's fields first, then ours."""

    output = serializers.SerializerMethodField(help_text="The tail of stdout.")
    error = serializers.SerializerMethodField(
        help_text="Why the run could not start or was stopped, and the tail of stderr."
    )
    log_file = serializers.SerializerMethodField(help_text="Where to download the whole log.")
    duration = serializers.SerializerMethodField(help_text="Seconds from start to end (or now).")
    cancel_requested = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The run's page in the dashboard.")
    artifacts_url = serializers.SerializerMethodField(help_text="The run's files (artifacts).")
    progress = serializers.SerializerMethodField(
        help_text="Percent, always a number (the seed's clients print it): the last value the "
        "script reported, 0 until it reports one, 100 once it has succeeded."
    )
    progress_reported = serializers.SerializerMethodField(
        help_text="Whether the script reported progress; false means `progress` is a stand-in."
    )
    end_reason = serializers.ChoiceField(
        choices=EndReason.choices,
        allow_blank=True,
        read_only=True,
        help_text="How the run ended; empty while it has not.",
    )
    rerun_of = serializers.UUIDField(
        source="rerun_of_id", read_only=True, allow_null=True, help_text="The original run."
    )

    class Meta:
        model = Task
        fields = [
            # The seed's task object.
            "id",
            "user_name",
            "script_path",
            "args",
            "status",
            "progress",
            "created_at",
            "started_at",
            "completed_at",
            "output",
            "error",
            "return_code",
            "log_file",
            # Ours.
            "script",
            "params",
            "argv",
            "progress_message",
            "progress_reported",
            "end_reason",
            "exception",
            "killed",
            "duration",
            "peak_memory_kb",
            "cpu_seconds",
            "log_bytes",
            "log_dropped_bytes",
            "cancel_requested",
            "timeout",
            "queue",
            "script_sha256",
            "interpreter_version",
            "worker",
            "rerun_of",
            "trigger",
            "stalled_at",
            "overran_at",
            "url",
            "keep",
            "artifact_bytes",
            "artifacts_url",
            "summary",
            "files_note",
        ]
        read_only_fields = fields

    tail_chars = None  # detail views carry the whole stored tail

    def to_representation(self, instance):
        """DRF's, with each field's way to its value found once per serializer: a list's
        runs share their child serializer, and DRF's lookup of every field of every run
        (a walk of its source, a test of whether the value is callable) was a third of
        serializing a page of 50. A column is read as the attribute it is; the other
        fields (the methods) are read through DRF as before."""
        plan = self.__dict__.get("_plan")
        if plan is None:
            columns = {field.attname for field in Task._meta.concrete_fields}
            plan = [(field, _column(field, columns)) for field in self._readable_fields]
            self.__dict__["_plan"] = plan
        representation = {}
        for field, column in plan:
            if column is None:
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
                present = value.pk if isinstance(value, PKOnlyObject) else value
            else:
                value = present = getattr(instance, column)
            representation[field.field_name] = (
                None if present is None else field.to_representation(value)
            )
        return representation

    def _link(self, name, task):
        """reverse(name, args=[task.pk]), the URL reversed once per serializer: a list's
        runs share their child serializer, and three reverse() calls a run were a third
        of serializing a page."""
        links = self.__dict__.setdefault("_links", {})
        if name not in links:
            links[name] = reverse(name, args=[LINK_PLACEHOLDER])
        return links[name].replace(str(LINK_PLACEHOLDER), str(task.pk))

    def _tail(self, text):
        if self.tail_chars is not None and len(text) > self.tail_chars:
            return "…" + text[-self.tail_chars :]
        return text

    def get_output(self, task) -> str:
        return self._tail(task.stdout_tail)

    def get_error(self, task) -> str:
        parts = [self._tail(task.stderr_tail).rstrip("\n"), task.error]
        return "\n".join(part for part in parts if part)

    def get_log_file(self, task) -> str:
        return self._link("api:task-logs-download", task)

    def get_duration(self, task) -> float | None:
        duration = task.elapsed()
        return None if duration is None else round(duration.total_seconds(), 3)

    def get_progress(self, task) -> int:
        if task.status == Status.SUCCESS:
            return 100
        return task.progress or 0

    def get_progress_reported(self, task) -> bool:
        return task.progress is not None

    def get_cancel_requested(self, task) -> bool:
        return task.cancel_requested_at is not None

    def get_url(self, task) -> str:
        return self._link("task-detail", task)

    def get_artifacts_url(self, task) -> str:
        return self._link("api:task-artifacts", task)


def _column(field, columns):
    """The model column that `field` shows as it is (its source), or None."""
    sources = field.source_attrs
    return sources[0] if len(sources) == 1 and sources[0] in columns else None


class TaskListSerializer(TaskSerializer):
    """Lists carry short tails of output and error, and leave out the argv snapshot."""

    tail_chars = LIST_TAIL

    class Meta(TaskSerializer.Meta):
        fields = [
            name
            for name in TaskSerializer.Meta.fields
            if name not in ("argv", "worker", "summary", "files_note")
        ]
        read_only_fields = fields


class ArtifactSerializer(APIModelSerializer):
    """One of a run's files: an output it left, or a file uploaded for a parameter."""

    download = serializers.SerializerMethodField(help_text="Where to download it.")

    class Meta:
        model = Artifact
        fields = ["id", "kind", "name", "param", "size", "media_type", "sha256", "created_at"]
        fields += ["download"]
        read_only_fields = fields

    def get_download(self, artifact) -> str:
        return reverse("api:task-artifact", args=[artifact.task_id, artifact.pk])


@extend_schema_field({"type": "array", "items": {"type": "string"}, "maxItems": 1000})
class StringListField(serializers.JSONField):
    """A JSON list of strings; its items are checked against the catalog entry."""


@extend_schema_field({"type": "object", "additionalProperties": True})
class ObjectField(serializers.JSONField):
    """A JSON object of parameter name -> value, checked against the catalog entry."""


class ExecuteSerializer(serializers.Serializer):
    """The execute request's shape. Values are checked against the catalog afterwards,
    where the messages can name the script's own parameters."""

    script_type = serializers.CharField(max_length=100, required=False)
    script = serializers.CharField(
        max_length=100, required=False, help_text="Alias of script_type."
    )
    args = StringListField(required=False, help_text="Free arguments, for scripts that take them.")
    params = ObjectField(required=False, help_text="Typed parameters: name -> value.")
    user_name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="Ignored: runs are recorded under the signed-in user.",
    )

    def validate(self, data):
        script = data.get("script_type") or data.get("script")
        if not script:
            # The view knows which scripts this user may run; the message names them.
            missing = self.context.get("missing_script")
            message = missing() if missing else "This field is required."
            raise serializers.ValidationError({"script_type": message})
        args = data.get("args")
        if args is not None and not isinstance(args, list):
            raise serializers.ValidationError({"args": "Must be a list of strings."})
        params = data.get("params")
        if params is not None and not isinstance(params, dict):
            raise serializers.ValidationError({"params": "Must be an object of name -> value."})
        return {"script": script, "args": args or [], "params": params or {}}


class KeepSerializer(serializers.Serializer):
    """POST /api/tasks/<id>/keep: pin the run (true, the default) or unpin it (false)."""

    keep = serializers.BooleanField(default=True, help_text="True: never purged.")


class ScheduleSerializer(APIModelSerializer):
    """A schedule as /api/schedules/ shows it: its fields, secrets masked, and when it fires."""

    owner = serializers.CharField(source="owner.get_username", read_only=True)
    timetable = serializers.SerializerMethodField(help_text="The timetable in words.")
    upcoming = serializers.SerializerMethodField(
        help_text="The next five firings (none while paused), in UTC."
    )

    class Meta:
        model = Schedule
        fields = [
            "id",
            "name",
            "script",
            "params",
            "owner",
            "kind",
            "cron",
            "interval_seconds",
            "run_at",
            "timezone",
            "overlap",
            "missed",
            "paused",
            "next_fire_at",
            "timetable",
            "upcoming",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_timetable(self, schedule: Schedule) -> str:
        return timetables.describe(schedule)

    @extend_schema_field(serializers.ListField(child=serializers.DateTimeField()))
    def get_upcoming(self, schedule: Schedule) -> list[str]:
        if schedule.paused:
            return []
        moments = timetables.upcoming(schedule, timezone.now(), 5)
        return [UTCDateTimeField().to_representation(moment) for moment in moments]
