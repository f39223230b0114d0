from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from tasks.api import meta_views, views
from tasks.api.schedules import ScheduleViewSet

app_name = "api"

# "/?": the seed's clients call /api/tasks without a trailing slash; both forms work.
router = SimpleRouter()
router.trailing_slash = "/?"  # the constructor only takes a boolean
router.register("execute", views.ExecuteViewSet, basename="execute")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("schedules", ScheduleViewSet, basename="schedule")

urlpatterns = [
    path("health", meta_views.HealthView.as_view(), name="health"),
    path("health/", meta_views.HealthView.as_view()),
    path("schema/", meta_views.SchemaView.as_view(), name="schema"),
    re_path(r"^scripts/?$", views.ScriptListView.as_view(), name="script-list"),
    path("docs/", meta_views.DocsView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
    re_path(r"^.*$", meta_views.NotFoundView.as_view(), name="not-found"),
]
