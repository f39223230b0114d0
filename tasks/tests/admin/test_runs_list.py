"""The admin's run list over 10,000 runs: columns, filters, search, order, query count."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks.history import search, search_pg
from tasks.history.paging import SEARCH_OFFSET_LIMIT
from tasks.models import EndReason, Status, Task
from tasks.tests.factories import make_task, make_tasks

pytestmark = pytest.mark.django_db

URL = "/admin/tasks/task/"


@pytest.fixture(scope="module")
def history(django_db_setup, django_db_blocker):
    """10,000 runs by two users (dora and eve), three scripts, every ending.

    Written once for the module and committed (the tests here only read them), then
    deleted: creating them for each test would cost seconds each."""
    with django_db_blocker.unblock():
        dora = User.objects.create_user("dora")
        eve = User.objects.create_user("eve")
        make_tasks(4000, dora, script="echo")
        make_tasks(3000, eve, script="lines", status=Status.FAILED, age_minutes=1440)
        make_tasks(
            2990,
            dora,
            script="sleeper",
            status=Status.FAILED,
            end_reason=EndReason.TIMEOUT,
            age_minutes=576000,
        )
        make_tasks(10, eve, script="echo", status=Status.RUNNING)
    yield {"dora": dora, "eve": eve}
    with django_db_blocker.unblock():
        Task.objects.all().delete()
        User.objects.filter(pk__in=[dora.pk, eve.pk]).delete()


def counted(response):
    """The change list's count: exact up to 1,000 runs, else 1,001 ("more than 1,000")."""
    return response.context["cl"].result_count


def capped(number):
    return min(number, 1001)


def ids_on_page(response):
    return [row.pk for row in response.context["cl"].result_list]


def test_it_lists_runs_newest_first_with_their_columns(admin_client, user):
    older = make_task(user, age_minutes=120, script="lines", status=Status.FAILED)
    newer = make_task(user, return_code=0)
    response = admin_client.get(URL, {"user__id__exact": user.pk})
    assert response.status_code == 200
    assert ids_on_page(response) == [newer.pk, older.pk]
    html = response.content.decode()
    assert f">{newer.short_id}</a>" in html
    assert '<span class="task-status task-status-failed">Failed</span>' in html
    assert "2.0 s" in html  # the duration
    assert "alice" in html


def test_each_row_has_the_checkbox_django_would_render(admin_client, user):
    task = make_task(user, script="lines")
    html = admin_client.get(URL).content.decode()
    django_own = admin.ModelAdmin.action_checkbox(admin.site._registry[Task], task)
    assert str(django_own) in html
    assert f'value="{task.pk}" class="action-select"' in html


def test_the_query_count_does_not_grow_with_the_page(admin_client, history):
    assert Task.objects.count() == 10_000

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    text = Task.objects.filter(status=Status.RUNNING).first().short_id
    if connection.vendor == "postgresql":
        # Read once every few minutes, not by every request (tasks/history/search_pg.py).
        search_pg.sample(connection.alias)
    one_row = queries(URL + "?q=" + text)
    full_page = queries(URL)
    # On SQLite the search counts the runs of some of the text's trigrams and asks its
    # index (tasks/history/search.py); and a result that fits one page is read whole by
    # the admin, besides the page the paginator read, which needs no count.
    probe = 1 + len(search.looked_at(text)) if connection.vendor == "sqlite" else 0
    assert full_page == one_row - probe
    assert full_page <= 12


def test_it_filters_by_status_script_user_and_why_it_ended(admin_client, history):
    response = admin_client.get(URL, {"status__exact": "running"})
    assert response.context["cl"].result_count == 10
    response = admin_client.get(URL, {"script": "lines"})
    assert counted(response) == capped(3000)
    assert response.context["cl"].paginator.exact is False
    response = admin_client.get(URL, {"user__id__exact": history["eve"].pk})
    assert counted(response) == capped(3010)
    response = admin_client.get(URL, {"end_reason__exact": "timeout"})
    assert counted(response) == capped(2990)
    response = admin_client.get(URL, {"status__exact": "failed", "script": "sleeper"})
    assert counted(response) == capped(2990)
    assert ids_on_page(response)[0] == (
        Task.objects.filter(status="failed", script="sleeper").order_by("-created_at", "-id")[0].pk
    )


def test_the_creation_date_filter_narrows_to_a_range(admin_client, history):
    """The past 7 days: the 4,010 runs of today and yesterday, counted up to the cap."""
    page = admin_client.get(URL)
    assert "Past 7 days" in page.content.decode()
    since = timezone.now() - timedelta(days=6)
    response = admin_client.get(URL, {"created_at__gte": since.isoformat()})
    assert response.status_code == 200
    assert counted(response) == capped(Task.objects.filter(created_at__gte=since).count())
    old = admin_client.get(
        URL, {"created_at__gte": "2000-01-01T00:00Z", "created_at__lt": "2001-01-01T00:00Z"}
    )
    assert counted(old) == 0


def test_it_searches_by_id_prefix_user_script_arguments_and_exception(admin_client, user, history):
    target = make_task(
        user, script="fail", exception="RuntimeError: report failed", argv=["py", "--zebra"]
    )
    for term in (target.short_id, str(target.pk), "report failed", "--zebra"):
        response = admin_client.get(URL, {"q": term})
        assert ids_on_page(response) == [target.pk], term
    assert admin_client.get(URL, {"q": "fail"}).context["cl"].result_count == 1
    assert counted(admin_client.get(URL, {"q": "eve"})) == capped(3010)


def test_an_overlong_search_shows_a_message_instead_of_an_error(admin_client):
    response = admin_client.get(URL, {"q": "x" * 300}, follow=True)
    assert response.status_code == 200
    assert "the search text must be under 200 characters" in response.content.decode()


def test_the_list_offers_cancel_and_purge_but_not_plain_delete(admin_client):
    response = admin_client.get(URL)
    choices = dict(response.context["action_form"].fields["action"].choices)
    assert set(choices) == {"", "cancel_selected", "purge_selected"}


def test_staff_without_view_permission_cannot_see_the_list(client, staff):
    client.force_login(staff)
    assert client.get(URL).status_code == 403


def test_a_deep_page_of_a_search_goes_back_to_its_first_page_saying_why(admin_client, history):
    deep = SEARCH_OFFSET_LIMIT // 50 + 1  # the first page of 50 past the limit

    response = admin_client.get(URL, {"q": "dora", "p": deep, "status__exact": "success"})
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?q=dora&status__exact=success"
    first = admin_client.get(response["Location"])
    assert f"Page {deep} of a search cannot be opened" in first.content.decode()
    assert len(first.context["cl"].result_list) == 50

    assert admin_client.get(URL, {"q": "dora", "p": deep - 1}).status_code == 200
    plain = admin_client.get(URL, {"p": deep})  # no search: the index skips the offset
    assert plain.status_code == 200
    assert plain.context["cl"].page_num == deep
