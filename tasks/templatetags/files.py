"""The run page's files: its summary and its artifacts with previews (`{% load files %}`)."""

from django import template

from tasks.history import artifacts
from tasks.models import ArtifactKind

register = template.Library()

PREVIEWED = 20  # files with a preview on one page; the rest are links


@register.inclusion_tag("tasks/_summary.html")
def run_summary(task):
    """The Markdown summary the script wrote, rendered with raw HTML off."""
    return {
        "task": task,
        "summary": artifacts.render_markdown(task.summary) if task.summary else "",
    }


@register.inclusion_tag("tasks/_artifacts.html")
def run_artifacts(task):
    """What the run left and what was uploaded for it, each with its preview."""
    files = list(task.artifacts.all())
    outputs = [item for item in files if item.kind == ArtifactKind.OUTPUT]
    return {
        "task": task,
        "outputs": [
            artifacts.preview(item) if index < PREVIEWED else {"kind": "link", "artifact": item}
            for index, item in enumerate(outputs)
        ],
        "uploads": [item for item in files if item.kind == ArtifactKind.UPLOAD],
        "note": task.files_note,
    }
