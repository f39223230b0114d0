"""A run's page shows its summary and files; /tasks/<id>/files/<file>/ serves them."""

import pytest
from django.test import Client

from tasks import services
from tasks.models import Artifact
from tasks.tests.helpers import wait_finished

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def finished(inline, user):
    return wait_finished(services.execute(user, "files", {}, []).pk)


def page(client, task):
    response = client.get(f"/tasks/{task.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_summary_is_markdown_with_raw_html_shown_as_text(signed_in, finished):
    html = page(signed_in, finished)
    assert "<h2>Totals</h2>" in html
    assert "<strong>3 rows</strong>" in html
    assert "&lt;b&gt;raw html&lt;/b&gt;" in html
    assert "<b>raw html</b>" not in html
    assert html.index('id="summary-title"') < html.index('id="facts-title"')


def test_each_kind_of_file_gets_its_preview(signed_in, finished):
    html = page(signed_in, finished)
    png = Artifact.objects.get(task=finished, name="chart.png")
    assert f'src="/tasks/{finished.pk}/files/{png.pk}/?inline=1"' in html
    assert '<th scope="col">name</th>' in html
    assert "<td>=HYPERLINK(&quot;http://evil&quot;)</td>" in html
    assert "&quot;rows&quot;: 2,\n  &quot;ok&quot;: true" in html
    assert "<h1>Notes</h1>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert "<script>document.title" not in html
    assert 'data-artifact="page.html" data-preview="download"' in html
    assert 'data-artifact="logo.svg" data-preview="download"' in html
    assert "Left out passwd: a symbolic link" in html


def test_only_raster_images_are_served_inline(signed_in, finished):
    png = Artifact.objects.get(task=finished, name="chart.png")
    svg = Artifact.objects.get(task=finished, name="logo.svg")
    shown = signed_in.get(f"/tasks/{finished.pk}/files/{png.pk}/?inline=1")
    assert shown["Content-Disposition"] == 'inline; filename="chart.png"'
    assert shown["Content-Type"] == "image/png"
    refused = signed_in.get(f"/tasks/{finished.pk}/files/{svg.pk}/?inline=1")
    assert refused["Content-Disposition"] == 'attachment; filename="logo.svg"'
    assert refused["Content-Type"] == "application/octet-stream"
    assert refused["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in refused["Content-Security-Policy"]


def test_another_user_gets_a_404_for_the_file(finished, other_user):
    client = Client()
    client.force_login(other_user)
    png = Artifact.objects.get(task=finished, name="chart.png")
    assert client.get(f"/tasks/{finished.pk}/files/{png.pk}/").status_code == 404


def test_a_run_without_files_shows_no_files_section(signed_in, inline, user):
    task = wait_finished(services.execute(user, "echo", {}, []).pk)
    html = page(signed_in, task)
    assert "data-files" not in html
    assert 'id="summary-title"' not in html
