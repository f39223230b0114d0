from django.urls import path

from tasks.web import stream
from tasks.web.views import dashboard, history, task, tokens

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("run/<slug:script>/", dashboard.run, name="run"),
    path("history/", history.history, name="history"),
    path("tasks/states/", history.task_states, name="task-states"),
    path("tasks/<uuid:pk>/", task.task_detail, name="task-detail"),
    path("tasks/<uuid:pk>/log/", task.task_log, name="task-log"),
    path("tasks/<uuid:pk>/events/", stream.task_events, name="task-events"),
    path("tasks/<uuid:pk>/poll/", stream.task_poll, name="task-poll"),
    path("tasks/<uuid:pk>/cancel/", task.task_cancel, name="task-cancel"),
    path("tasks/<uuid:pk>/rerun/", task.task_rerun, name="task-rerun"),
    path("account/tokens/", tokens.token_list, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", tokens.token_revoke, name="token-revoke"),
]
