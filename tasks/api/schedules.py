"""`/api/schedules/`: list, create, retrieve, update, delete, pause, resume, run-now.

Thin: every rule (who may, what is valid) is tasks.services.schedules'; errors come back in
the same envelope as the rest, 400 naming the field. A token limited to some scripts lists
only their schedules and gets 403 for any other (tasks.services.tokens); run-now counts
against the run rate, as starting a run does."""

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action

from tasks.api import schema
from tasks.api.authentication import require_script_scope
from tasks.api.envelope import failure, ok
from tasks.api.serializers import ScheduleSerializer, TaskSerializer
from tasks.api.throttles import RunThrottleMixin
from tasks.models import MissedPolicy, OverlapPolicy, TimetableKind
from tasks.services import ServiceError, tokens
from tasks.services import schedules as service


def _input(name, required):
    """A create's or a change's body; the service checks the values and names the field."""
    return inline_serializer(
        name,
        {
            "name": serializers.CharField(required=False, allow_blank=True, max_length=100),
            "script": serializers.CharField(required=required),
            "params": serializers.DictField(required=False),
            "kind": serializers.ChoiceField(TimetableKind.choices, required=required),
            "cron": serializers.CharField(required=False),
            "interval_seconds": serializers.IntegerField(required=False, min_value=1),
            "run_at": serializers.DateTimeField(required=False),
            "timezone": serializers.CharField(required=False),
            "overlap": serializers.ChoiceField(OverlapPolicy.choices, required=False),
            "missed": serializers.ChoiceField(MissedPolicy.choices, required=False),
            "paused": serializers.BooleanField(required=False),
        },
    )


def _answers(ok_status, envelope, *codes):
    return {"responses": {ok_status: envelope, **schema.errors(*codes)}}


WRITE_ERRORS = (400, 401, 403, 404, 413, 415)
ONE_ERRORS = (401, 403, 404)


def _refused(exc: ServiceError):
    return failure(exc.message, exc.status, exc.errors or None)


def _named_script(data):
    """The script a create or update names, when it names one as text (else the service
    says what is wrong with it)."""
    script = data.get("script") if hasattr(data, "get") else None
    return script if isinstance(script, str) else None


@extend_schema_view(
    list=extend_schema(**_answers(200, schema.SchedulesEnvelope, 401)),
    retrieve=extend_schema(**_answers(200, schema.ScheduleEnvelope, *ONE_ERRORS)),
    create=extend_schema(
        request=_input("ScheduleInput", required=True),
        **_answers(201, schema.ScheduleEnvelope, 400, 401, 403, 413, 415),
    ),
    # PUT changes only the fields it sends, as PATCH does.
    update=extend_schema(
        request=_input("ScheduleChange", required=False),
        **_answers(200, schema.ScheduleEnvelope, *WRITE_ERRORS),
    ),
    partial_update=extend_schema(
        request=_input("ScheduleChange", required=False),
        **_answers(200, schema.ScheduleEnvelope, *WRITE_ERRORS),
    ),
    destroy=extend_schema(**_answers(200, schema.DoneEnvelope, *ONE_ERRORS)),
    pause=extend_schema(request=None, **_answers(200, schema.ScheduleEnvelope, *ONE_ERRORS)),
    resume=extend_schema(request=None, **_answers(200, schema.ScheduleEnvelope, *ONE_ERRORS)),
    run_now=extend_schema(
        request=None,
        description="Start a run of the schedule's script now, as its owner, outside its "
        "timetable; it counts against the run rate.",
        **_answers(201, schema.TaskEnvelope, 400, 401, 403, 404, 429, 503),
    ),
)
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

    def create(self, request):
        script = _named_script(request.data)
        if script is not None:
            require_script_scope(request, script)
        try:
            schedule = service.create(request.user, dict(request.data))
        except ServiceError as exc:
            return _refused(exc)
        return ok(status.HTTP_201_CREATED, schedule=ScheduleSerializer(schedule).data)

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

    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._verb(service.pause)

    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._verb(service.resume)

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
