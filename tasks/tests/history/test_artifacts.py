"""Safe Markdown and the choice of preview (history/artifacts.py)."""

import pytest

from tasks.history.artifacts import preview_kind, render_markdown
from tasks.models import Artifact


def test_markdown_shows_raw_html_as_text_and_drops_script_links():
    html = render_markdown(
        "# T\n\n<img src=x onerror=alert(1)>\n\n[a](javascript:alert(1)) [b](https://x.test)"
    )
    assert "<h1>T</h1>" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert '<a href="https://x.test">b</a>' in html


@pytest.mark.parametrize(
    ("name", "media_type", "kind"),
    [
        ("a.png", "image/png", "image"),
        ("a.svg", "image/svg+xml", "download"),
        ("a.html", "text/html", "download"),
        ("a.csv", "text/csv", "csv"),
        ("a.json", "application/json", "json"),
        ("a.md", "text/markdown", "markdown"),
        ("a.log", "application/octet-stream", "text"),
        ("a.txt", "text/plain", "text"),
        ("a.zip", "application/zip", "download"),
    ],
)
def test_each_file_gets_the_preview_its_type_allows(name, media_type, kind):
    assert preview_kind(Artifact(name=name, media_type=media_type)) == kind
