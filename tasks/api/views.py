"""Thin viewsets: parse, ask services.py or the log reader, wrap in the envelope.

The API authenticates through DRF (token or session) and answers 401 in JSON; DRF marks its
views exempt from LoginRequiredMiddleware, which would redirect to the sign-in page.
"""

import json

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.views import APIView

from tasks import access, services
from tasks.api import schema
from tasks.api.authentication import require_script_scope
from tasks.api.envelope import failure, ok
from tasks.api.filtersets import TaskFilterSet
from tasks.api.pagination import TaskPagination
from tasks.api.parsers import SafeJSONParser, UploadParser
from tasks.api.serializers import (
    ArtifactSerializer,
    ExecuteSerializer,
    KeepSerializer,
    TaskListSerializer,
    TaskSerializer,
)
from tasks.api.throttles import RunThrottleMixin
from tasks.api.whole_log import whole_log_response
from tasks.history import artifacts, filters, logs
from tasks.models import Task, Trigger
from tasks.services import tokens


def execute_fields(request):
    """The execute request's fields: the JSON body, or a multipart form's fields (with
    `params` and `args` as JSON text)."""
    if not request.FILES and not request.content_type.startswith("multipart/"):
        return request.data
    fields = {key: request.data.get(key) for key in ("script_type", "script", "user_name")}
    for key in ("params", "args"):
        raw = request.data.get(key)
        if raw:
            try:
                fields[key] = json.loads(raw)
            except ValueError:
                raise ValidationError({key: "must be JSON text"}) from None
    return {key: value for key, value in fields.items() if value is not None}


def service_failure(exc):
    return failure(exc.message, exc.status, exc.errors or None)


def missing_script(user):
    entries, _ = services.scripts_for(user)
    names = ", ".join(entry.key for entry in entries) or "none"
    return f"This field is required: the script to run, one of {names}."


class ExecuteViewSet(RunThrottleMixin, viewsets.ViewSet):
    """POST /api/execute: run a catalog script; answers 201 with the task."""

    run_actions = ("create",)
    parser_classes = [SafeJSONParser, UploadParser]

    @extend_schema(
        operation_id="execute",
        request={
            "application/json": ExecuteSerializer,
            "multipart/form-data": schema.ExecuteUpload,
        },
        responses={201: schema.TaskEnvelope, **schema.errors(400, 401, 403, 413, 415, 429, 503)},
    )
    def create(self, request):
        serializer = ExecuteSerializer(
            data=execute_fields(request),
            context={"missing_script": lambda: missing_script(request.user)},
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        require_script_scope(request, data["script"])
        files = {name: request.FILES.getlist(name) for name in request.FILES}
        try:
            task = services.execute(
                request.user,
                data["script"],
                data["params"],
                data["args"],
                trigger=Trigger.API,
                files=files,
            )
        except services.ServiceError as exc:
            return service_failure(exc)
        # The engine may have started it already (a free slot starts a run on commit).
        task.refresh_from_db()
        return ok(status.HTTP_201_CREATED, task=TaskSerializer(task).data)


class TaskViewSet(RunThrottleMixin, viewsets.ReadOnlyModelViewSet):
    """The run history: list, detail, cancel, re-run, logs."""

    run_actions = ("rerun",)

    serializer_class = TaskSerializer
    pagination_class = TaskPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = TaskFilterSet
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        visible = access.visible_tasks(self.request.user, Task.objects.all())
        return tokens.in_scope(self.request.auth, visible)

    def get_serializer_class(self):
        return TaskListSerializer if self.action == "list" else TaskSerializer

    def get_object(self):
        pk = access.task_id(self.kwargs["pk"])
        if pk is None:
            raise NotFound(f"No task with id {self.kwargs['pk'][:64]!r}.")
        task = access.visible_task(self.request.user, pk)
        if task is None:
            raise NotFound(f"No task with id {pk}.")
        # Every action on one run (read, logs, files, cancel, re-run, keep) is within the
        # token's scope, or a 403 that says so.
        require_script_scope(self.request, task.script)
        return task

    @extend_schema(
        responses={200: TaskListSerializer(many=True), **schema.errors(400, 401, 404)},
    )
    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(filters.listed(queryset, tails=True))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        parameters=[schema.TASK_ID],
        responses={200: schema.TaskEnvelope, **schema.errors(401, 403, 404)},
    )
    def retrieve(self, request, pk=None):
        return ok(task=self.get_serializer(self.get_object()).data)

    @extend_schema(
        request=None,
        parameters=[schema.TASK_ID],
        responses={200: schema.TaskEnvelope, **schema.errors(401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        try:
            task = services.cancel(request.user, self.get_object())
        except services.ServiceError as exc:
            return service_failure(exc)
        return ok(task=TaskSerializer(task).data)

    @extend_schema(
        request=None,
        parameters=[schema.TASK_ID],
        responses={201: schema.RerunEnvelope, **schema.errors(400, 401, 403, 404, 429, 503)},
    )
    @action(detail=True, methods=["post"])
    def rerun(self, request, pk=None):
        try:
            task, warnings = services.rerun(request.user, self.get_object())
        except services.ServiceError as exc:
            return service_failure(exc)
        return ok(status.HTTP_201_CREATED, task=TaskSerializer(task).data, warnings=warnings)

    @extend_schema(
        request=KeepSerializer,
        parameters=[schema.TASK_ID],
        responses={200: schema.TaskEnvelope, **schema.errors(400, 401, 403, 404)},
        description='Pin the run (`{"keep": true}`, the default) so that no purge takes '
        'it, or unpin it (`{"keep": false}`).',
    )
    @action(detail=True, methods=["post"])
    def keep(self, request, pk=None):
        keep = request.data.get("keep", True) if hasattr(request.data, "get") else None
        if not isinstance(keep, bool):
            return failure('keep: must be true or false, as JSON: {"keep": true}', 400)
        try:
            task = services.set_keep(request.user, self.get_object(), keep)
        except services.ServiceError as exc:
            return service_failure(exc)
        return ok(task=TaskSerializer(task).data)

    @extend_schema(
        parameters=[schema.TASK_ID, *schema.LOG_PARAMETERS],
        responses={200: schema.LogsEnvelope, **schema.errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get"])
    def logs(self, request, pk=None):
        """The whole log, or with ?offset=N what follows byte N (up to ?limit bytes)."""
        task = self.get_object()
        raw_offset = request.query_params.get("offset")
        if raw_offset is None and "limit" not in request.query_params:
            # The seed's form: the whole log as one string, streamed.
            return whole_log_response(task)
        if raw_offset is None:
            raw_offset = "0"  # a limit alone reads from the start, as a client expects
        try:
            offset = logs.whole_number(raw_offset, "offset")
            limit = logs.whole_number(
                request.query_params.get("limit", logs.DEFAULT_LIMIT), "limit"
            )
        except logs.BadPosition as exc:
            raise ValidationError(str(exc)) from None
        if not 1 <= limit <= logs.MAX_LIMIT:
            raise ValidationError(f"limit: must be between 1 and {logs.MAX_LIMIT}.")
        if offset > task.log_bytes:
            raise ValidationError(
                f"offset: {offset} is past the end of the log ({task.log_bytes} bytes so far)."
            )
        part = logs.read(task.pk, offset, limit)
        return ok(
            logs=part.text,
            chunks=[item.as_dict() for item in part.parts],
            offset=offset,
            next_offset=part.next_offset,
            # Read before the chunks: if it said finished, every chunk was already stored.
            complete=task.is_finished and part.next_offset >= task.log_bytes,
            log_bytes=task.log_bytes,
            dropped_bytes=task.log_dropped_bytes,
            status=task.status,
        )

    @extend_schema(
        parameters=[schema.TASK_ID],
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The whole log."),
            **schema.errors(401, 403, 404),
        },
    )
    @action(detail=True, methods=["get"], url_path="logs/download", url_name="logs-download")
    def download(self, request, pk=None):
        return logs.text_response(self.get_object(), attachment=True)

    @extend_schema(
        operation_id="tasks_artifacts_list",
        parameters=[schema.TASK_ID],
        responses={200: schema.ArtifactsEnvelope, **schema.errors(401, 403, 404)},
    )
    @action(detail=True, methods=["get"])
    def artifacts(self, request, pk=None):
        """The run's files: what it left in EXECUTOR_ARTIFACTS, and its uploads."""
        task = self.get_object()
        return ok(
            artifacts=ArtifactSerializer(task.artifacts.all(), many=True).data,
            summary=task.summary,
            files_note=task.files_note,
            artifact_bytes=task.artifact_bytes,
        )

    @extend_schema(
        operation_id="tasks_artifact_download",
        parameters=[schema.TASK_ID, schema.ARTIFACT_ID],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment, with its ETag."
            ),
            304: OpenApiResponse(description="If-None-Match named its ETag."),
            **schema.errors(401, 403, 404),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"artifacts/(?P<artifact_id>[^/]+)",
        url_name="artifact",
    )
    def artifact(self, request, pk=None, artifact_id=None):
        found = artifacts.artifact_of(self.get_object(), artifact_id)
        if found is None:
            raise NotFound(f"This run has no file {str(artifact_id)[:64]!r}.")
        return artifacts.file_response(request, found)


class ScriptListView(APIView):
    """GET /api/scripts: the scripts this user may run, with their parameter schemas.

    An APIView rather than a viewset's `list`, which the schema would describe as an
    array: the answer is one envelope object."""

    @extend_schema(
        operation_id="scripts_list",
        responses={200: schema.ScriptsEnvelope, **schema.errors(401, 503)},
    )
    def get(self, request):
        entries, load_error = services.scripts_for(request.user)
        if load_error:
            return failure(
                f"The script catalog cannot be loaded ({load_error}).",
                status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        keys = set(tokens.scripts_in_scope(request.auth, [entry.key for entry in entries]))
        return ok(scripts=[entry.schema() for entry in entries if entry.key in keys])
