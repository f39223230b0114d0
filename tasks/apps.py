from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Script runs"

    def ready(self):
        # Registers the system checks and every admin (tasks.admin imports one module per
        # admin). Nothing starts here: no threads, no queries; the engine starts on first
        # use (tasks.web.middleware, or a command that needs it).
        from tasks import admin, checks  # noqa: F401
        from tasks.checks import security as security_checks  # noqa: F401
