"""A run's stored files as people get them: downloads, previews, and safe Markdown.

Nothing a script writes may run in our origin. Every file is served with
`X-Content-Type-Options: nosniff` and a Content Security Policy that allows nothing and
sandboxes the document, so even a browser told to render one cannot run its scripts;
only raster images are ever shown inline (an SVG is a document that can carry script),
and HTML, SVG and XML go out as attachments typed `application/octet-stream`. Previews of
text, CSV and JSON are rendered by our templates, which escape them; Markdown goes
through markdown-it with raw HTML off, so `<script>` in a summary is shown as text.
"""

import csv
import io
import json
import uuid

from django.http import HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from tasks.models import Artifact

# Shown in the page (as <img>) and served inline: images that are pictures, not documents.
INLINE_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/avif")
# Types a browser would treat as a document with scripts: only ever attachments.
ACTIVE_TYPES = (
    "text/html",
    "image/svg+xml",
    "application/xhtml+xml",
    "text/xml",
    "application/xml",
)
SANDBOX = "default-src 'none'; sandbox; frame-ancestors 'none'"
PREVIEW_BYTES = 256 * 1024  # what a text, CSV or JSON preview reads of a file
PREVIEW_ROWS = 200
TEXT_TYPES = ("application/json", "application/x-ndjson", "application/yaml", "application/toml")

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str) -> SafeString:
    """Markdown as HTML with raw HTML shown as text and unsafe links (javascript:,
    data:, vbscript:) dropped by markdown-it's link validation."""
    return mark_safe(_markdown.render(text or ""))  # noqa: S308 - html is off: nothing raw


def artifact_of(task, raw_id) -> Artifact | None:
    """The file `raw_id` names among `task`'s, or None."""
    try:
        pk = uuid.UUID(str(raw_id))
    except ValueError:
        return None
    return Artifact.objects.filter(task=task, pk=pk).first()


def file_response(request, artifact: Artifact, *, inline: bool = False) -> HttpResponse:
    """The file itself, streamed chunk by chunk, with its ETag (its SHA-256)."""
    etag = f'"{artifact.sha256}"'
    if etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
        response["ETag"] = etag
        return response
    shown = inline and artifact.media_type in INLINE_IMAGES
    media_type = artifact.media_type
    if media_type in ACTIVE_TYPES or not media_type:
        media_type = "application/octet-stream"
    elif media_type.startswith("text/") or media_type in TEXT_TYPES:
        media_type = f"{media_type}; charset=utf-8"
    streamed = StreamingHttpResponse(artifact.iter_bytes(), content_type=media_type)
    streamed["Content-Length"] = str(artifact.size)
    streamed["Content-Disposition"] = content_disposition_header(not shown, artifact.base_name) or (
        "inline" if shown else "attachment"
    )
    streamed["ETag"] = etag
    streamed["Cache-Control"] = "private, max-age=0, must-revalidate"
    streamed["X-Content-Type-Options"] = "nosniff"
    streamed["Content-Security-Policy"] = SANDBOX
    streamed["Cross-Origin-Resource-Policy"] = "same-origin"
    return streamed  # type: ignore[return-value]


def preview_kind(artifact: Artifact) -> str:
    """How the run's page shows a file: image, csv, json, markdown, text or download."""
    media_type, name = artifact.media_type, artifact.name.lower()
    if media_type in INLINE_IMAGES:
        return "image"
    if media_type in ACTIVE_TYPES:
        return "download"
    if media_type == "text/csv" or name.endswith(".csv"):
        return "csv"
    if media_type == "application/json" or name.endswith(".json"):
        return "json"
    if media_type == "text/markdown" or name.endswith((".md", ".markdown")):
        return "markdown"
    if media_type.startswith("text/") or media_type in TEXT_TYPES or name.endswith(".log"):
        return "text"
    return "download"


def preview(artifact: Artifact) -> dict:
    """What the page's preview of one file needs: its kind and its content."""
    kind = preview_kind(artifact)
    data: dict = {"kind": kind, "artifact": artifact, "cut": artifact.size > PREVIEW_BYTES}
    if kind in ("image", "download"):
        return data
    text = artifact.head(PREVIEW_BYTES).decode("utf-8", "replace")
    if kind == "csv":
        rows = []
        for row in csv.reader(io.StringIO(text)):
            rows.append(row)
            if len(rows) > PREVIEW_ROWS:
                break
        data.update(rows=rows[:PREVIEW_ROWS], cut=len(rows) > PREVIEW_ROWS)
    elif kind == "json":
        try:
            data["text"] = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            data.update(kind="text", text=text)
    elif kind == "markdown":
        data["html"] = render_markdown(text)
    else:
        data["text"] = text
    return data
