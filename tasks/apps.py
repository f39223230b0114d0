from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Script runs"

    def ready(self):
        # Registers the system checks and every admin (tasks.admin imports one module per
        # admin). Nothing starts here: no threads, no queries; the engine starts on first
        # use (tasks.web.middleware, or a command that needs it).
        from tasks import admin, checks  # noqa: F401
        from tasks.checks import security as security_checks  # noqa: F401
        from tasks.services import schedules

        # Only registers the scheduler's tick with the engine's loops; it runs when the
        # engine starts (or a Celery worker's housekeeping does).
        schedules.install()

        create_sqlite_folders()


def create_sqlite_folders(databases=None):
    """Create the folders of SQLite databases (and their test copies) that do not exist.

    SQLite creates a database file but not its folder, and the default database lives in
    var/, which a fresh clone does not have. Done when the app starts, not when settings
    are imported: reading the settings has no effect on the disk."""
    for database in (databases or settings.DATABASES).values():
        if database["ENGINE"] != "django.db.backends.sqlite3":
            continue
        for name in (database["NAME"], database.get("TEST", {}).get("NAME")):
            if name and str(name) != ":memory:" and not str(name).startswith("file:"):
                Path(name).parent.mkdir(parents=True, exist_ok=True)
