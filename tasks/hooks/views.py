"""POST /hooks/<id>/: the inbound webhook endpoint. Answers 202 with the run's id and
URL, and JSON errors in the API's envelope: 401, 404, 429, 400 for a bad request."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import ParseError, Throttled
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from tasks import access, services
from tasks.hooks import calls
from tasks.models import Hook


class HookRateThrottle(SimpleRateThrottle):
    """Calls per hook (whoever makes them), at EXECUTOR_HOOK_RATE."""

    scope = "hook"

    def get_rate(self):
        return settings.EXECUTOR_HOOK_RATE

    def parse_rate(self, rate):
        return rate if rate is not None else (None, None)

    def get_cache_key(self, request, view):
        return f"throttle:hook:{view.kwargs['pk']}"


def failure(message, status_code):
    return Response({"success": False, "error": message}, status=status_code)


# Not in the API's schema: /api/schema/ describes the seed-compatible API under /api/,
# which the schema tests pin; the README describes this endpoint.
@extend_schema(exclude=True)
class HookView(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [HookRateThrottle]

    def throttled(self, request, wait):
        # Not in the trail either: past the limit, each refused call would cost a write.
        raise Throttled(wait, "Too many calls of this hook; try again later.")

    def post(self, request, pk):
        hook = Hook.objects.active().select_related("owner").filter(pk=access.task_id(pk)).first()
        if hook is None:
            # Not in the trail: any client can name any id, and nothing would be recorded
            # but the id (a trail anybody can fill is worth less).
            return failure("No active hook with this id.", status.HTTP_404_NOT_FOUND)
        body = request.body
        try:
            calls.authenticate(hook, request.headers, body)
        except calls.Refused as exc:
            calls.record_refusal(hook.pk, exc.message)
            return failure(exc.message, exc.status)
        try:
            data = request.data if body.strip() else {}
        except ParseError as exc:
            return failure(f"The body is not JSON: {exc.detail}", status.HTTP_400_BAD_REQUEST)
        key = (
            request.headers.get("Idempotency-Key") or request.headers.get("X-GitHub-Delivery") or ""
        )[:200]
        try:
            task, started = calls.start(hook, data, key)
        except calls.Refused as exc:
            calls.record_refusal(hook.pk, exc.message)
            return failure(exc.message, exc.status)
        except services.ServiceError as exc:
            calls.record_refusal(hook.pk, exc.message)
            response = failure(exc.message, exc.status)
            if exc.errors:
                response.data["errors"] = exc.errors
            return response
        path = reverse("task-detail", args=[task.pk])
        return Response(
            {
                "success": True,
                "task_id": str(task.pk),
                "url": request.build_absolute_uri(path),
                "status": task.status,
                "repeated": not started,
            },
            status=status.HTTP_202_ACCEPTED,
        )
