"""A run's files on the site: downloads, and inline raster images for the run's page."""

from django.http import Http404
from django.views.decorators.http import require_GET

from tasks.history import artifacts
from tasks.web.views.common import visible_task


@require_GET
def task_artifact(request, pk, artifact_id):
    """The file, to whoever may see its run: an attachment, or with ?inline=1 a raster
    image shown in the page (anything else stays an attachment)."""
    found = artifacts.artifact_of(visible_task(request.user, pk), artifact_id)
    if found is None:
        raise Http404("This run has no such file.")
    return artifacts.file_response(request, found, inline=request.GET.get("inline") == "1")
