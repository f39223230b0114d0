"""The history page: paginated on the server, sorted and filtered from the URL."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks.models import Status
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def shown(response):
    """The short ids of the rows on the page, top to bottom."""
    return [task.short_id for task in response.context["runs"]]


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/history/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_user_sees_only_their_own_runs(signed_in, user, other_user):
    mine = make_task(user)
    theirs = make_task(other_user)
    response = signed_in.get("/history/")
    assert shown(response) == [mine.short_id]
    assert theirs.short_id not in response.content.decode()
    assert 'name="user"' not in response.content.decode()  # no user filter to offer


def test_staff_see_everybodys_runs_and_can_filter_by_user(client, staff, user, other_user):
    mine = make_task(user)
    theirs = make_task(other_user)
    client.force_login(staff)
    assert set(shown(client.get("/history/"))) == {mine.short_id, theirs.short_id}
    response = client.get("/history/?user=bob")
    assert shown(response) == [theirs.short_id]
    assert '<option value="bob" selected>' in response.content.decode()


def test_it_filters_by_several_statuses(signed_in, user):
    failed = make_task(user, status=Status.FAILED)
    cancelled = make_task(user, status=Status.CANCELLED)
    make_task(user, status=Status.SUCCESS)
    response = signed_in.get("/history/?status=failed&status=cancelled")
    assert set(shown(response)) == {failed.short_id, cancelled.short_id}
    html = response.content.decode()
    assert 'value="failed" checked' in html
    assert 'value="success" checked' not in html


def test_it_filters_by_script_date_range_and_search(signed_in, user):
    now = timezone.now()
    old = make_task(user, script="lines", created_at=now - timedelta(days=10))
    new = make_task(user, script="lines", argv=["python3", "lines.py", "--count=77"])
    make_task(user, script="echo")
    assert set(shown(signed_in.get("/history/?script=lines"))) == {old.short_id, new.short_id}
    since = (now - timedelta(days=2)).date().isoformat()
    assert shown(signed_in.get(f"/history/?script=lines&created_after={since}")) == [new.short_id]
    until = (now - timedelta(days=5)).date().isoformat()
    assert shown(signed_in.get(f"/history/?created_before={until}")) == [old.short_id]
    assert shown(signed_in.get("/history/?q=count%3D77")) == [new.short_id]
    assert shown(signed_in.get(f"/history/?q={old.short_id}")) == [old.short_id]


def test_a_bad_filter_is_explained_not_a_server_error(signed_in, user):
    make_task(user)
    response = signed_in.get("/history/?created_after=yesterday")
    assert response.status_code == 400
    assert "is not a date" in response.content.decode()
    assert shown(response) == []
    response = signed_in.get("/history/?ordering=password")
    assert response.status_code == 400
    assert "unknown field" in response.content.decode()


def test_columns_sort_both_ways_and_say_so(signed_in, user):
    make_task(user, script="lines")
    make_task(user, script="echo")
    make_task(user, script="fail")
    response = signed_in.get("/history/?ordering=script")
    assert [row.script for row in response.context["runs"]] == [
        "echo",
        "fail",
        "lines",
    ]
    html = response.content.decode()
    assert 'aria-sort="ascending"' in html
    assert "?ordering=-script" in html  # the header link turns the order round
    response = signed_in.get("/history/?ordering=-script")
    assert response.context["runs"][0].script == "lines"
    assert 'aria-sort="descending"' in response.content.decode()


def test_sort_links_keep_the_filters(signed_in, user):
    make_task(user)
    html = signed_in.get("/history/?status=success&q=echo").content.decode()
    assert "?status=success&amp;q=echo&amp;ordering=script" in html


def test_it_pages_on_the_server(signed_in, user):
    now = timezone.now()
    tasks = [make_task(user, created_at=now - timedelta(minutes=n)) for n in range(30)]
    first = signed_in.get("/history/")
    assert shown(first) == [task.short_id for task in tasks[:25]]
    assert "Page 1 of 2" in first.content.decode()
    second = signed_in.get("/history/?page=2")
    assert shown(second) == [task.short_id for task in tasks[25:]]
    assert shown(signed_in.get("/history/?page_size=50")) == [t.short_id for t in tasks]
    # A page past the end, or not a number, shows the nearest real page.
    assert shown(signed_in.get("/history/?page=99")) == shown(second)
    assert shown(signed_in.get("/history/?page=x")) == shown(first)


def test_running_rows_are_marked_for_live_updates(signed_in, user):
    running = make_task(user, status=Status.RUNNING)
    done = make_task(user)
    html = signed_in.get("/history/").content.decode()
    assert f'<tr data-task="{running.pk}" data-active>' in html
    assert f'<tr data-task="{done.pk}">' in html
