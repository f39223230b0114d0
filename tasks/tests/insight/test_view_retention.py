"""The staff retention page and the admin's preview: what the policy would remove now."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from tasks.models import Status, Task
from tasks.tests.factories import make_task


def page(client, url):
    # filesizeformat joins a number and its unit with a no-break space.
    return client.get(url).content.decode().replace("\xa0", " ")


def history(user):
    now = timezone.now()
    for hours, script, size in ((5, "echo", 300), (4, "echo", 200), (3, "lines", 100)):
        make_task(user, script, created_at=now - timedelta(hours=hours), output=b"x" * size)
    make_task(user, "echo", Status.RUNNING, created_at=now - timedelta(hours=6), output=b"y" * 50)


def test_staff_see_what_the_policy_would_remove_and_what_is_held(user, staff, settings):
    settings.EXECUTOR_RETENTION_MAX_BYTES = 400
    history(user)
    client = Client()
    client.force_login(staff)
    html = page(client, "/retention/")
    # 650 bytes held, 400 allowed: the oldest finished run (300 bytes) goes; the older
    # running one stays.
    assert "<p data-would>1 run and 300 bytes of logs." in html
    assert "<p data-held>4 runs and 650 bytes of logs." in html
    assert "400 bytes of logs in all" in html
    assert Task.objects.count() == 4  # a preview removes nothing


def test_the_page_says_when_no_policy_is_set(staff):
    client = Client()
    client.force_login(staff)
    assert "Nothing: no retention policy is set." in client.get("/retention/").content.decode()


def test_the_page_is_for_staff_only(user):
    client = Client()
    client.force_login(user)
    assert client.get("/retention/").status_code == 403


def test_the_admin_shows_the_preview_above_the_passes(user, admin_user, settings):
    settings.EXECUTOR_RETENTION_RUNS_PER_SCRIPT = 1
    history(user)
    client = Client()
    client.force_login(admin_user)
    html = page(client, "/admin/tasks/retentionpass/")
    assert "data-retention-preview" in html
    # echo keeps its newest run (the 200-byte one): the 300-byte one goes; the running
    # one is older still, and stays.
    assert "<p data-would>1 run and 300 bytes of logs." in html
