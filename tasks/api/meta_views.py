"""The API about itself: health (for load balancers), the OpenAPI schema and its docs page,
and a JSON 404 for any other URL under /api/."""

from django.db import connection
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks.api import schema
from tasks.services.engine import engine_status


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
