"""Lookups every page shares; each goes through `tasks.access`."""

from urllib.parse import urlencode

from django.http import Http404
from django.urls import reverse

from tasks import access


def visible_task(user, pk):
    """The run with this id if `user` may see it; otherwise 404, never a hint it exists."""
    task = access.visible_task(user, pk)
    if task is None:
        raise Http404("No such run.")
    return task


def wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def dashboard_url(script, run=None):
    """The dashboard with a script's form open and, when given, a run's live panel."""
    query = {"script": script}
    if run is not None:
        query["run"] = str(run)
    return f"{reverse('dashboard')}?{urlencode(query)}"
