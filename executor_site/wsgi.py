"""WSGI entry point: `gunicorn executor_site.wsgi` or `manage.py runserver`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "executor_site.settings")

application = get_wsgi_application()
