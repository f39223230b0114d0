"""The retention passes in the admin: a read-only record of each day's purge."""

import pytest
from django.utils import timezone

from tasks.executor import retention
from tasks.models import RetentionPass

pytestmark = pytest.mark.django_db

URL = "/admin/tasks/retentionpass/"


def test_it_lists_the_passes_read_only(admin_client):
    RetentionPass.objects.create(
        day=timezone.localdate(),
        cutoff=retention.cutoff(30),
        worker="web-1:4242",
        runs=1200,
        log_bytes=5 * 1024 * 1024,
    )
    html = admin_client.get(URL).content.decode()
    assert "web-1:4242" in html
    assert "1200" in html
    assert "5.0\xa0MB" in html
    assert f'href="{URL}add/"' not in html
    assert admin_client.get(URL + "add/").status_code == 403
