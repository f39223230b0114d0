"""Thin viewsets: parse, ask services.py or the log reader, wrap in the envelope."""

import sys
import uuid

from django.db import connection
from django.http import StreamingHttpResponse
from django.utils.text import slugify
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks import access, filters, logs, services
from tasks.api.envelope import failure, ok
from tasks.api.serializers import ExecuteSerializer, TaskListSerializer, TaskSerializer
from tasks.executor.backends import get_backend
from tasks.models import Task


class LoginNotRequiredMixin:
    """The API authenticates through DRF (session or token), not Django's login
    redirect: opt its views out of LoginRequiredMiddleware."""

    @classmethod
    def as_view(cls, *args, **kwargs):
        view = super().as_view(*args, **kwargs)
        view.login_required = False
        return view


def service_failure(exc):
    return failure(exc.message, exc.status, exc.errors or None)


class TaskPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_paginated_response(self, data):
        return ok(
            count=self.page.paginator.count,
            next=self.get_next_link(),
            previous=self.get_previous_link(),
            tasks=data,
        )


class ExecuteViewSet(LoginNotRequiredMixin, viewsets.ViewSet):
    """POST /api/execute: run a catalog script; answers 201 with the task."""

    def create(self, request):
        serializer = ExecuteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            task = services.execute(request.user, data["script"], data["params"], data["args"])
        except services.ServiceError as exc:
            return service_failure(exc)
        # The engine may have started it already (a free slot starts a run on commit).
        task.refresh_from_db()
        return ok(status.HTTP_201_CREATED, task=TaskSerializer(task).data)


class TaskViewSet(LoginNotRequiredMixin, viewsets.ReadOnlyModelViewSet):
    """The run history: list, detail, cancel, re-run, logs."""

    serializer_class = TaskSerializer
    pagination_class = TaskPagination
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return access.visible_tasks(self.request.user, Task.objects.all())

    def get_serializer_class(self):
        return TaskListSerializer if self.action == "list" else TaskSerializer

    def get_object(self):
        try:
            pk = uuid.UUID(str(self.kwargs["pk"]))
        except ValueError:
            raise NotFound(f"No task with id {self.kwargs['pk'][:64]!r}.") from None
        task = self.get_queryset().filter(pk=pk).first()
        if task is None:
            raise NotFound(f"No task with id {pk}.")
        return task

    def list(self, request):
        try:
            queryset = filters.apply(self.get_queryset(), request.query_params)
        except filters.FilterError as exc:
            raise ValidationError(str(exc)) from None
        page = self.paginate_queryset(queryset.defer("argv", "env", "script_args"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return ok(task=self.get_serializer(self.get_object()).data)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        try:
            task = services.cancel(request.user, self.get_object())
        except services.ServiceError as exc:
            return service_failure(exc)
        return ok(task=TaskSerializer(task).data)

    @action(detail=True, methods=["post"])
    def rerun(self, request, pk=None):
        try:
            task, warnings = services.rerun(request.user, self.get_object())
        except services.ServiceError as exc:
            return service_failure(exc)
        return ok(status.HTTP_201_CREATED, task=TaskSerializer(task).data, warnings=warnings)

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
        offset = _whole_number(raw_offset, "offset")
        limit = _whole_number(request.query_params.get("limit", logs.DEFAULT_LIMIT), "limit")
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

    @action(detail=True, methods=["get"], url_path="logs/download", url_name="logs-download")
    def download(self, request, pk=None):
        task = self.get_object()
        response = StreamingHttpResponse(
            logs.iter_text(task.pk), content_type="text/plain; charset=utf-8"
        )
        name = f"{slugify(task.script) or 'task'}-{task.short_id}.log"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ScriptViewSet(LoginNotRequiredMixin, viewsets.ViewSet):
    """GET /api/scripts: the scripts this user may run, with their parameter schemas."""

    def list(self, request):
        entries, load_error = services.scripts_for(request.user)
        if load_error:
            return failure(
                f"The script catalog cannot be loaded ({load_error}).",
                status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return ok(scripts=[entry.schema() for entry in entries])


class HealthView(LoginNotRequiredMixin, APIView):
    """GET /api/health: answers without authentication; 503 when the database is down."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            database = "ok"
        except Exception as exc:
            database = f"unavailable: {type(exc).__name__}"
        engine = get_backend().status()
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


class NotFoundView(LoginNotRequiredMixin, APIView):
    """Any other URL under /api/: a JSON 404 rather than an HTML page."""

    def _not_found(self, request, *args, **kwargs):
        raise NotFound(f"No API endpoint at {request.path[:200]}.")

    get = post = put = patch = delete = head = options = _not_found


def _whole_number(value, name):
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError(f"{name}: must be a whole number, got {str(value)[:40]!r}.") from None
    if number < 0:
        raise ValidationError(f"{name}: must be 0 or more, got {number}.")
    return number
