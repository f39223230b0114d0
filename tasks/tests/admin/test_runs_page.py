"""The admin's page for one run: read-only, everything an operator needs, escaped."""

import pytest

from tasks.models import Status
from tasks.tests.factories import make_task, write_log

pytestmark = pytest.mark.django_db


def url(task):
    return f"/admin/tasks/task/{task.pk}/change/"


def test_it_shows_parameters_command_timings_resources_and_the_log_tail(admin_client, user):
    task = make_task(
        user,
        params={"count": 3, "greeting": "hi"},
        argv=["/usr/bin/python3", "echo.py", "--greeting=hi there"],
        peak_memory_kb=20480,
        cpu_seconds=0.25,
        exception="RuntimeError: report failed",
        output=b"first line\nlast line\n",
    )
    response = admin_client.get(url(task))
    assert response.status_code == 200
    html = response.content.decode()
    assert "&quot;greeting&quot;: &quot;hi&quot;" in html
    assert "/usr/bin/python3 echo.py &#x27;--greeting=hi there&#x27;" in html
    assert "20.0 MiB" in html
    assert "0.25" in html
    assert "RuntimeError: report failed" in html
    assert '<pre class="task-pre">first line\nlast line\n</pre>' in html
    assert f'href="/tasks/{task.pk}/"' in html


def test_the_log_is_escaped(admin_client, user):
    task = make_task(user, output=b"<script>alert(1)</script>\n")
    html = admin_client.get(url(task)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_long_log_shows_its_end_and_says_where_the_rest_is(admin_client, user):
    lines = [b"line %06d\n" % n for n in range(10_000)]
    # In chunks of at most 64 KiB, as the supervisor writes them.
    task = make_task(user, log=[("out", b"".join(lines[at : at + 5000])) for at in (0, 5000)])
    html = admin_client.get(url(task)).content.decode()
    assert "line 009999" in html
    assert "line 000000" not in html
    assert "bytes are on the run&#x27;s page" in html


def test_a_capped_log_says_how_much_was_dropped(admin_client, user):
    task = make_task(user, output=b"head\n", log_dropped_bytes=1_000_000)
    task.log_bytes = 1_000_005  # the cap dropped the middle: the tail resumes here
    write_log(task, [("out", b"tail\n")])
    html = admin_client.get(url(task)).content.decode()
    assert "976.6\xa0KB written, 976.6\xa0KB of it dropped from the middle by the log cap" in html
    assert "tail\n" in html


def test_the_page_is_read_only_with_no_plain_delete(admin_client, user):
    task = make_task(user)
    html = admin_client.get(url(task)).content.decode()
    assert 'name="_save"' not in html
    assert f"/admin/tasks/task/{task.pk}/delete/" not in html
    assert admin_client.get(f"/admin/tasks/task/{task.pk}/delete/").status_code == 403
    assert admin_client.post(url(task), {"script": "other"}).status_code == 403


def test_the_page_offers_cancel_and_purge_for_this_run(admin_client, user):
    task = make_task(user, status=Status.RUNNING)
    response = admin_client.get(url(task))
    choices = dict(response.context["action_form"].fields["action"].choices)
    assert set(choices) == {"", "cancel_selected", "purge_selected"}


def test_adding_runs_by_hand_is_not_possible(admin_client):
    assert admin_client.get("/admin/tasks/task/add/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_it_lists_the_runs_files_with_downloads_and_notes(admin_client, admin_user, inline):
    from tasks import services
    from tasks.models import Artifact

    task = services.execute(admin_user, "files", {}, [])
    page = admin_client.get(url(task)).content.decode()
    csv = Artifact.objects.get(task=task, name="report.csv")
    assert f'<a href="/tasks/{task.pk}/files/{csv.pk}/" download>report.csv</a>' in page
    assert "(output, " in page
    assert "Left out passwd: a symbolic link" in page
    assert "&lt;b&gt;raw html&lt;/b&gt;" in page
