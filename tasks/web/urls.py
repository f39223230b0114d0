from django.urls import path

from tasks.web import stream
from tasks.web.views import compare as compare_view
from tasks.web.views import (
    dashboard,
    files,
    history,
    log_window,
    notifications,
    schedules,
    task,
    tokens,
    webhooks,
)
from tasks.web.views import metrics as metrics_view
from tasks.web.views import retention as retention_view
from tasks.web.views import script as script_view

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("run/<slug:script>/", dashboard.run, name="run"),
    path("history/", history.history, name="history"),
    path("history/compare/", compare_view.compare_selected, name="history-compare"),
    path("tasks/states/", history.task_states, name="task-states"),
    path("tasks/<uuid:pk>/", task.task_detail, name="task-detail"),
    path("tasks/<uuid:pk>/log/", task.task_log, name="task-log"),
    path("tasks/<uuid:pk>/log/window/", log_window.task_log_window, name="task-log-window"),
    path("tasks/<uuid:pk>/log/search/", log_window.task_log_search, name="task-log-search"),
    path("tasks/<uuid:pk>/events/", stream.task_events, name="task-events"),
    path("tasks/<uuid:pk>/poll/", stream.task_poll, name="task-poll"),
    path("tasks/<uuid:pk>/cancel/", task.task_cancel, name="task-cancel"),
    path("tasks/<uuid:pk>/rerun/", task.task_rerun, name="task-rerun"),
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/<int:pk>/remove/", notifications.unsubscribe, name="unsubscribe"),
    path("webhooks/", webhooks.webhooks, name="webhooks"),
    path("webhooks/<uuid:pk>/revoke/", webhooks.revoke, name="webhook-revoke"),
    path("tasks/<uuid:pk>/compare/<uuid:other>/", compare_view.compare_runs, name="task-compare"),
    path("tasks/<uuid:pk>/compare/", compare_view.compare_with, name="task-compare-with"),
    path("tasks/<uuid:pk>/keep/", task.task_keep, name="task-keep"),
    path("schedules/", schedules.schedule_list, name="schedules"),
    path("schedules/rows/", schedules.schedule_rows, name="schedule-rows"),
    path("schedules/new/", schedules.schedule_new, name="schedule-new"),
    path("schedules/check/", schedules.schedule_check, name="schedule-check-new"),
    path("schedules/<int:pk>/edit/", schedules.schedule_edit, name="schedule-edit"),
    path("schedules/<int:pk>/check/", schedules.schedule_check, name="schedule-check"),
    path("schedules/<int:pk>/pause/", schedules.schedule_pause, name="schedule-pause"),
    path("schedules/<int:pk>/resume/", schedules.schedule_resume, name="schedule-resume"),
    path("schedules/<int:pk>/run-now/", schedules.schedule_run_now, name="schedule-run-now"),
    path("schedules/<int:pk>/delete/", schedules.schedule_delete, name="schedule-delete"),
    path("scripts/<slug:key>/", script_view.script_detail, name="script-detail"),
    path("retention/", retention_view.retention, name="retention"),
    path("metrics", metrics_view.metrics, name="metrics"),
    path("tasks/<uuid:pk>/files/<uuid:artifact_id>/", files.task_artifact, name="task-artifact"),
    path("account/tokens/", tokens.token_list, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", tokens.token_revoke, name="token-revoke"),
]
