"""The admin's read-only catalog page: each script, who may run it, its last run and
success rate, in a fixed number of queries."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.models import Status
from tasks.tests.factories import make_task, make_tasks

pytestmark = pytest.mark.django_db

URL = "/admin/tasks/scriptcatalog/"


def row(response, key):
    return next(
        row for row in [*response.context["rows"], *response.context["gone"]] if row["key"] == key
    )


def test_the_admin_index_links_to_the_catalog(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert f'href="{URL}"' in html
    assert "Script catalog" in html


def test_it_lists_each_script_with_who_may_run_it(admin_client):
    response = admin_client.get(URL)
    assert response.status_code == 200
    keys = [row["key"] for row in response.context["rows"]]
    assert keys[:3] == ["echo", "lines", "sleeper"]
    html = response.content.decode()
    assert "members of club" in html
    assert "every signed-in user" in html
    assert "<code>echo.py</code>" in html


def test_it_shows_success_rate_and_last_run_from_the_history(admin_client, user):
    make_tasks(3, user, script="echo", age_minutes=60)
    make_tasks(1, user, script="echo", status=Status.FAILED, age_minutes=120)
    make_tasks(2, user, script="echo", status=Status.CANCELLED, age_minutes=180)
    last = make_task(user, script="echo", status=Status.RUNNING)
    response = admin_client.get(URL)
    echo = row(response, "echo")
    assert (echo["runs"], echo["succeeded"], echo["ended"], echo["success_rate"]) == (7, 3, 4, 75)
    assert echo["last"].pk == last.pk
    assert f"/admin/tasks/task/{last.pk}/change/" in response.content.decode()
    lines = row(response, "lines")
    assert (lines["runs"], lines["success_rate"], lines["last"]) == (0, None, None)


def test_scripts_gone_from_the_catalog_still_show_their_runs(admin_client, user):
    make_task(user, script="retired")
    response = admin_client.get(URL)
    assert [row["key"] for row in response.context["gone"]] == ["retired"]
    assert "nobody (removed)" in response.content.decode()


def test_the_query_count_does_not_grow_with_the_scripts(admin_client, user):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(URL).status_code == 200
        return len(captured)

    make_task(user, script="echo")
    few = queries()
    for script in ("lines", "sleeper", "fail", "flood", "partial", "retired", "gone"):
        make_tasks(20, user, script=script)
    assert queries() == few


def test_it_reports_catalog_problems(admin_client, settings, tmp_path):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text('[scripts.broken]\npath = "missing.py"\n')
    settings.EXECUTOR_SCRIPTS = str(catalog)
    html = admin_client.get(URL).content.decode()
    assert "broken: path &#x27;missing.py&#x27; does not exist" in html


def test_it_is_read_only(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert f'href="{URL}add/"' not in html
    assert admin_client.get(URL + "add/").status_code == 404


def test_staff_need_the_view_permission(client, staff):
    client.force_login(staff)
    assert client.get(URL).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_scriptcatalog"))
    assert client.get(URL).status_code == 200
