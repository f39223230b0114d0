"""The Celery app for EXECUTOR_BACKEND=celery; `celery -A executor_site worker` finds it here.

The app and its engine options live with the engine, in tasks/executor/celery_app.py.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "executor_site.settings")

from tasks.executor.celery_app import app

__all__ = ["app"]
