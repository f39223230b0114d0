"""`/api/schedules/`: list, create, retrieve, update, delete, pause, resume, run-now.

Thin: every rule (who may, what is valid) is tasks.services.schedules'; errors come back in
the same envelope as the rest, 400 naming the field. A token limited to some scripts lists
only their schedules and gets 403 for any other (tasks.services.tokens); run-now counts
against the run rate, as starting a run does."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action

from tasks.api.authentication import require_script_scope
from tasks.api.envelope import failure, ok
from tasks.api.serializers import TaskSerializer
from tasks.api.throttles import RunThrottleMixin
from tasks.models import Schedule
from tasks.schedules import timetables
from tasks.services import ServiceError, tokens
from tasks.services import schedules as service


class ScheduleSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    timetable = serializers.SerializerMethodField()
    upcoming = serializers.SerializerMethodField()

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

    def get_upcoming(self, schedule: Schedule) -> list[str]:
        if schedule.paused:
            return []
        return [moment.isoformat() for moment in timetables.upcoming(schedule, timezone.now(), 5)]


SCHEDULE_INPUT = inline_serializer(
    "ScheduleInput",
    {
        "name": serializers.CharField(required=False),
        "script": serializers.CharField(),
        "params": serializers.DictField(required=False),
        "kind": serializers.ChoiceField(["cron", "interval", "once"]),
        "cron": serializers.CharField(required=False),
        "interval_seconds": serializers.IntegerField(required=False, min_value=1),
        "run_at": serializers.DateTimeField(required=False),
        "timezone": serializers.CharField(required=False),
        "overlap": serializers.ChoiceField(["skip", "queue", "parallel"], required=False),
        "missed": serializers.ChoiceField(["run_once", "skip"], required=False),
        "paused": serializers.BooleanField(required=False),
    },
)


def _refused(exc: ServiceError):
    return failure(exc.message, exc.status, exc.errors or None)


def _named_script(data):
    """The script a create or update names, when it names one as text (else the service
    says what is wrong with it)."""
    script = data.get("script") if hasattr(data, "get") else None
    return script if isinstance(script, str) else None


class ScheduleViewSet(RunThrottleMixin, viewsets.GenericViewSet):
    """Schedules you own (all of them for staff), within the token's scope."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = ScheduleSerializer
    lookup_value_regex = r"\d+"
    run_actions = ("run_now",)

    def get_queryset(self):
        # Not narrowed to the token's scope here: one out of it is a 403 saying so, not a 404.
        return service.visible(self.request.user)

    def get_object(self):
        schedule = super().get_object()
        require_script_scope(self.request, schedule.script)
        return schedule

    def list(self, request):
        schedules = tokens.in_scope(request.auth, self.get_queryset())
        return ok(schedules=ScheduleSerializer(schedules, many=True).data)

    def retrieve(self, request, pk=None):
        return ok(schedule=ScheduleSerializer(self.get_object()).data)

    @extend_schema(request=SCHEDULE_INPUT)
    def create(self, request):
        script = _named_script(request.data)
        if script is not None:
            require_script_scope(request, script)
        try:
            schedule = service.create(request.user, dict(request.data))
        except ServiceError as exc:
            return _refused(exc)
        return ok(status.HTTP_201_CREATED, schedule=ScheduleSerializer(schedule).data)

    @extend_schema(request=SCHEDULE_INPUT)
    def partial_update(self, request, pk=None):
        schedule = self.get_object()
        script = _named_script(request.data)
        if script is not None:
            require_script_scope(request, script)
        try:
            schedule = service.update(request.user, schedule, dict(request.data))
        except ServiceError as exc:
            return _refused(exc)
        return ok(schedule=ScheduleSerializer(schedule).data)

    update = partial_update

    def destroy(self, request, pk=None):
        try:
            service.delete(request.user, self.get_object())
        except ServiceError as exc:
            return _refused(exc)
        return ok()

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._verb(service.pause)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._verb(service.resume)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], url_path="run-now")
    def run_now(self, request, pk=None):
        try:
            task = service.run_now(request.user, self.get_object())
        except ServiceError as exc:
            return _refused(exc)
        return ok(status.HTTP_201_CREATED, task=TaskSerializer(task).data)

    def _verb(self, verb):
        try:
            schedule = verb(self.request.user, self.get_object())
        except ServiceError as exc:
            return _refused(exc)
        return ok(schedule=ScheduleSerializer(schedule).data)
