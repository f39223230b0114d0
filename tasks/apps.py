from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Script runs"

    def ready(self):
        # Registers the system checks and the audit trail's admin. Nothing starts here: no
        # threads, no queries; the engine starts on first use (tasks.web.middleware, or a
        # command that needs it).
        from tasks import checks  # noqa: F401
        from tasks.admin import audit as admin_audit  # noqa: F401
        from tasks.checks import security as security_checks  # noqa: F401
