"""The page per script, `/scripts/<key>/`, and the dashboard's glance at each script."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tasks.models import Status
from tasks.tests.factories import finished_run, make_task


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_it_says_what_the_script_is_and_how_its_runs_went(signed_in, user):
    now = timezone.now()
    for hours, status, seconds, exception in (
        (30, Status.SUCCESS, 4, ""),
        (29, Status.SUCCESS, 8, ""),
        (28, Status.FAILED, 1, "ZeroDivisionError: division by zero"),
    ):
        finished_run(
            user,
            "echo",
            status,
            created_at=now - timedelta(hours=hours),
            seconds=seconds,
            exception=exception,
        )
    response = signed_in.get("/scripts/echo/")
    assert response.status_code == 200
    html = response.content.decode()
    # What it is: its parameters and who may run it.
    assert "greeting" in html
    assert "<code>hello</code>" in html
    assert "Everyone signed in" in html
    # How it went, over the default 7 days.
    assert re.search(r"data-runs>3<", html)
    assert "66.7 %" in html
    # Estimated from the duration buckets: 4 s is the only run in (2, 5], 8 s in (5, 10].
    assert re.search(r"data-p50>5.0 s<", html)
    assert re.search(r"data-p95>10.0 s<", html)
    # The exception line links to the history filtered by it.
    assert "/history/?script=echo&amp;q=ZeroDivisionError%3A%20division%20by%20zero" in html
    # Three charts' worth of SVG, each labelled, and the bars' table.
    assert html.count('<svg class="chart"') == 2  # no memory recorded: no memory chart
    assert html.count('class="bar-success"') == 1  # both successes fall on one day
    assert "No run recorded its memory" in html


def test_the_exception_link_finds_the_runs_that_had_it(signed_in, user):
    finished_run(user, "echo", Status.FAILED, exception="ValueError: bad input")
    finished_run(user, "echo", Status.FAILED, exception="KeyError: 'x'")
    html = signed_in.get("/scripts/echo/").content.decode()
    link = re.search(r'href="(/history/\?script=echo&amp;q=ValueError[^"]*)"', html).group(1)
    history = signed_in.get(link.replace("&amp;", "&")).content.decode()
    assert "ValueError: bad input" in history
    assert "KeyError" not in history


def test_the_window_is_chosen_in_the_url(signed_in, user):
    finished_run(user, "echo", created_at=timezone.now() - timedelta(days=20))
    assert re.search(r"data-runs>0<", signed_in.get("/scripts/echo/?window=7d").content.decode())
    html = signed_in.get("/scripts/echo/?window=30d").content.decode()
    assert re.search(r"data-runs>1<", html)
    assert 'href="?window=30d" aria-current="page"' in html


def test_an_unknown_window_says_so_and_shows_a_week(signed_in):
    response = signed_in.get("/scripts/echo/?window=1y")
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is no window “1y”" in html
    assert 'href="?window=7d" aria-current="page"' in html


def test_a_script_the_user_may_not_see_is_not_found(signed_in):
    assert signed_in.get("/scripts/nope/").status_code == 404
    # `secret_club` is for the club group only (tasks/tests/scripts/catalog.toml).
    assert signed_in.get("/scripts/secret_club/").status_code == 404


def test_other_users_runs_stay_out_of_a_users_trends(signed_in, other_user):
    finished_run(other_user, "echo", Status.FAILED, exception="SecretError: theirs")
    html = signed_in.get("/scripts/echo/").content.decode()
    assert "SecretError" not in html
    assert re.search(r"data-runs>0<", html)


def test_the_dashboard_shows_each_scripts_last_status_and_a_sparkline(signed_in, user):
    for minutes, seconds in ((30, 1), (20, 3), (10, 2)):
        make_task(user, "echo", age_minutes=minutes, duration=timedelta(seconds=seconds))
    make_task(user, "lines", Status.FAILED)
    html = signed_in.get("/").content.decode()
    assert 'href="/scripts/echo/"' in html
    echo = html[html.index("?script=echo") : html.index("?script=echo") + 1200]
    assert 'class="badge success"' in echo
    assert "Durations of its last 3 successful runs, from 1.0 s to 3.0 s" in echo
    lines = html[html.index("?script=lines") :]
    assert 'class="badge failed"' in lines.split("</li>")[0]
