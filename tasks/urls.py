from django.urls import path

from tasks import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("run/<slug:script>/", views.run, name="run"),
    path("tasks/<uuid:pk>/", views.task_detail, name="task-detail"),
    path("tasks/<uuid:pk>/cancel/", views.task_cancel, name="task-cancel"),
    path("tasks/<uuid:pk>/rerun/", views.task_rerun, name="task-rerun"),
]
