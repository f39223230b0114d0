"""`/api/schedules/`: list, create, retrieve, update, delete, pause, resume, run-now.

Thin: every rule (who may, what is valid) is tasks.services.schedules'; errors come back in
the same envelope as the rest, 400 naming the field."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action

from tasks.api.envelope import failure, ok
from tasks.api.serializers import TaskSerializer
from tasks.models import Schedule
from tasks.schedules import timetables
from tasks.services import ServiceError
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


class ScheduleViewSet(viewsets.GenericViewSet):
    """Schedules you own (all of them for staff)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = ScheduleSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return service.visible(self.request.user)

    def list(self, request):
        return ok(schedules=ScheduleSerializer(self.get_queryset(), many=True).data)

    def retrieve(self, request, pk=None):
        return ok(schedule=ScheduleSerializer(self.get_object()).data)

    @extend_schema(request=SCHEDULE_INPUT)
    def create(self, request):
        try:
            schedule = service.create(request.user, dict(request.data))
        except ServiceError as exc:
            return _refused(exc)
        return ok(status.HTTP_201_CREATED, schedule=ScheduleSerializer(schedule).data)

    @extend_schema(request=SCHEDULE_INPUT)
    def partial_update(self, request, pk=None):
        try:
            schedule = service.update(request.user, self.get_object(), dict(request.data))
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
