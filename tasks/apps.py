from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Script runs"

    def ready(self):
        # Registers the system checks and the audit trail's admin. Nothing starts here: no
        # threads, no queries; the engine starts on first use (tasks.middleware, or a
        # command that needs it).
        from tasks import admin_audit, checks, security_checks  # noqa: F401
