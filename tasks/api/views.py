"""Thin viewsets: parse, ask services.py or the log reader, wrap in the envelope.

The API authenticates through DRF (token or session) and answers 401 in JSON; DRF marks its
views exempt from LoginRequiredMiddleware, which would redirect to the sign-in page.
"""

import sys

from django.db import connection
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks import access, services
from tasks.api import schema
from tasks.api.authentication import require_script_scope
from tasks.api.envelope import failure, ok
from tasks.api.filtersets import TaskFilterSet
from tasks.api.serializers import ExecuteSerializer, TaskListSerializer, TaskSerializer
from tasks.history import filters, logs
from tasks.models import Task, Trigger
from tasks.services.engine import engine_status
from tasks.services.rate_limits import RunThrottleMixin


def service_failure(exc):
    return failure(exc.message, exc.status, exc.errors or None)


class TaskPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        """DRF falls back to the default for a bad page_size; a client that asked for
        something else must hear that its value was not used."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            limit = self.max_page_size
            message = f"must be a whole number from 1 to {limit}, got {raw[:40]!r}."
            raise ValidationError({"page_size": message})
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
            if parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1)
        return parameters

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["success", "count", "next", "previous", "tasks"],
            "properties": {
                "success": {"type": "boolean"},
                "count": {"type": "integer"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "tasks": schema,
            },
        }

    def get_paginated_response(self, data):
        return ok(
            count=self.page.paginator.count,
            next=self.get_next_link(),
            previous=self.get_previous_link(),
            tasks=data,
        )


def missing_script(user):
    entries, _ = services.scripts_for(user)
    names = ", ".join(entry.key for entry in entries) or "none"
    return f"This field is required: the script to run, one of {names}."


class ExecuteViewSet(RunThrottleMixin, viewsets.ViewSet):
    """POST /api/execute: run a catalog script; answers 201 with the task."""

    run_actions = ("create",)

    @extend_schema(
        operation_id="execute",
        request=ExecuteSerializer,
        responses={201: schema.TaskEnvelope, **schema.errors(400, 401, 403, 413, 415, 429, 503)},
    )
    def create(self, request):
        serializer = ExecuteSerializer(
            data=request.data, context={"missing_script": lambda: missing_script(request.user)}
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        require_script_scope(request, data["script"])
        try:
            task = services.execute(
                request.user, data["script"], data["params"], data["args"], trigger=Trigger.API
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
        return access.visible_tasks(self.request.user, Task.objects.all())

    def get_serializer_class(self):
        return TaskListSerializer if self.action == "list" else TaskSerializer

    def get_object(self):
        pk = access.task_id(self.kwargs["pk"])
        if pk is None:
            raise NotFound(f"No task with id {self.kwargs['pk'][:64]!r}.")
        task = access.visible_task(self.request.user, pk)
        if task is None:
            raise NotFound(f"No task with id {pk}.")
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
        responses={200: schema.TaskEnvelope, **schema.errors(401, 404)},
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
            task = self.get_object()
            require_script_scope(request, task.script)
            task = services.cancel(request.user, task)
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
            task = self.get_object()
            require_script_scope(request, task.script)
            task, warnings = services.rerun(request.user, task)
        except services.ServiceError as exc:
            return service_failure(exc)
        return ok(status.HTTP_201_CREATED, task=TaskSerializer(task).data, warnings=warnings)

    @extend_schema(
        parameters=[schema.TASK_ID, *schema.LOG_PARAMETERS],
        responses={200: schema.LogsEnvelope, **schema.errors(400, 401, 404)},
    )
    @action(detail=True, methods=["get"])
    def logs(self, request, pk=None):
        """The whole log, or with ?offset=N what follows byte N (up to ?limit bytes)."""
        task = self.get_object()
        raw_offset = request.query_params.get("offset")
        if raw_offset is None:
            # The seed's form: the whole log as one string (bounded by the log cap).
            whole = logs.read(task.pk, 0, limit=sys.maxsize)
            return ok(
                logs=whole.text,
                offset=0,
                next_offset=whole.next_offset,
                complete=task.is_finished and whole.next_offset >= task.log_bytes,
                log_bytes=task.log_bytes,
                dropped_bytes=task.log_dropped_bytes,
                status=task.status,
            )
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
            **schema.errors(401, 404),
        },
    )
    @action(detail=True, methods=["get"], url_path="logs/download", url_name="logs-download")
    def download(self, request, pk=None):
        return logs.text_response(self.get_object(), attachment=True)


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
        return ok(scripts=[entry.schema() for entry in entries])


class HealthView(APIView):
    """GET /api/health: answers without authentication; 503 when the database is down."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="health",
        auth=[],
        responses={200: schema.HealthEnvelope, 503: schema.HealthEnvelope},
    )
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            database = "ok"
        except Exception as exc:
            database = f"unavailable: {type(exc).__name__}"
        engine = engine_status()
        healthy = database == "ok"
        data = {
            "success": healthy,
            "status": "healthy" if healthy else "unhealthy",
            "database": database,
            "engine": engine,
        }
        if not healthy:
            data["error"] = f"The database is {database}."
        return Response(data, status=status.HTTP_200_OK if healthy else 503)


class SchemaView(SpectacularJSONAPIView):
    """GET /api/schema/: the OpenAPI 3 schema of this API, for signed-in users and tokens."""

    permission_classes = [permissions.IsAuthenticated]


class DocsView(SpectacularSwaggerSplitView):
    """GET /api/docs/: Swagger UI, a page behind sign-in like every other page. Its
    assets come from drf-spectacular-sidecar's static files and its start-up script from
    this same URL, so it runs under our Content Security Policy."""

    permission_classes = [permissions.IsAuthenticated]

    @classmethod
    def as_view(cls, *args, **kwargs):
        # DRF exempts its views from LoginRequiredMiddleware; a page sends an anonymous
        # visitor to the sign-in form instead of answering 401.
        view = super().as_view(*args, **kwargs)
        view.login_required = True
        return view


@extend_schema(exclude=True)
class NotFoundView(APIView):
    """Any other URL under /api/: a JSON 404 rather than an HTML page."""

    def _not_found(self, request, *args, **kwargs):
        raise NotFound(f"No API endpoint at {request.path[:200]}.")

    get = post = put = patch = delete = head = options = _not_found
