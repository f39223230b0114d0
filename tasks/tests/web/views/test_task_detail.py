"""The task page: one permalink per run with everything about how it ran."""

import pytest

from tasks.models import Status
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


def test_it_shows_how_the_run_went(client, user):
    task = make_task(
        user,
        status=Status.FAILED,
        params={"count": 3},
        args=["a b"],
        argv=["python3", "echo.py", "--count=3", "a b"],
        return_code=1,
        exception="ValueError: bad input",
        peak_memory_kb=20480,
        cpu_seconds=0.25,
        env={"ECHO_MOOD": "calm"},
    )
    client.force_login(user)
    response = client.get(f"/tasks/{task.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for expected in (
        str(task.pk),
        "<dt>count</dt><dd><code>3</code></dd>",
        "<li><code>a b</code></li>",
        "<li><code>--count=3</code></li>",
        "ValueError: bad input",
        "20.0 MiB",
        "250 ms",
        "Exited",
        "<code>ECHO_MOOD</code>",
        f'data-run="{task.pk}"',
        f"/api/tasks/{task.pk}/logs/download",
        f"/tasks/{task.pk}/log/",
    ):
        assert expected in html, expected
    assert "calm" not in html  # environment values can be secrets


def test_another_users_run_is_not_found(client, user, other_user):
    task = make_task(other_user)
    client.force_login(user)
    assert client.get(f"/tasks/{task.pk}/").status_code == 404


def test_staff_see_anybodys_run_but_may_not_manage_it(client, staff, user):
    task = make_task(user, status=Status.RUNNING)
    client.force_login(staff)
    response = client.get(f"/tasks/{task.pk}/")
    assert response.status_code == 200
    assert "/cancel/" not in response.content.decode()


def test_the_owner_gets_cancel_and_rerun(client, user):
    task = make_task(user, status=Status.RUNNING)
    client.force_login(user)
    html = client.get(f"/tasks/{task.pk}/").content.decode()
    assert f"/tasks/{task.pk}/cancel/" in html
    assert f"/tasks/{task.pk}/rerun/" in html


def test_it_sends_anonymous_visitors_to_sign_in(client, user):
    task = make_task(user)
    response = client.get(f"/tasks/{task.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_what_a_run_recorded_is_escaped(client, user):
    task = make_task(user, exception="<img src=x onerror=alert(1)>", error="<script>x</script>")
    client.force_login(user)
    html = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "<img src=x" not in html
    assert "<script>x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_parameters_named_like_dict_methods_are_shown(client, user):
    task = make_task(user, params={"items": 20, "keys": "a", "values": [1, 2]})
    client.force_login(user)
    response = client.get(f"/tasks/{task.pk}/")
    assert response.status_code == 200
    assert "<dt>items</dt><dd><code>20</code></dd>" in response.content.decode()
