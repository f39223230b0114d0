"""Pages of the history (tasks/history/paging.py and the orderings of filters.py): every
ordering, both ways, walked page by page through the API, shows every run once, in
order, with ties broken by id; the count stops at 1,000 and says so."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from tasks.history import filters, paging
from tasks.history.paging import COUNT_CAP, CappedPaginator
from tasks.models import Status, Task
from tasks.tests.factories import make_tasks, task_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def tied(user):
    """60 runs with many ties: a handful of creation times, statuses, scripts, durations,
    and some unknown values (pending runs)."""
    generator = random.Random(7)
    moment = timezone.now()
    rows = []
    for _number in range(60):
        status = generator.choice([Status.SUCCESS, Status.FAILED, Status.PENDING])
        row = task_row(user, script=generator.choice(["a", "b"]), status=status)
        row.created_at = moment - timedelta(minutes=generator.randrange(4))
        if status != Status.PENDING:
            row.duration = timedelta(seconds=generator.randrange(3))
            row.progress = generator.choice([None, 50])
        rows.append(row)
    Task.objects.bulk_create(rows)
    return rows


def walk(api, ordering, size=7):
    seen, page = [], 1
    while True:
        body = api.get("/api/tasks", {"ordering": ordering, "page": page, "page_size": size}).json()
        seen.extend(item["id"] for item in body["tasks"])
        if body["next"] is None:
            return seen, body
        page += 1


@pytest.mark.parametrize("name", list(filters.ORDERINGS))
@pytest.mark.parametrize("sign", ["", "-"])
@pytest.mark.parametrize("deep", [1_000, 0])
def test_every_ordering_pages_through_every_run_once_in_order(
    api, tied, name, sign, deep, monkeypatch
):
    monkeypatch.setattr(paging, "DEEP", deep)  # 0: every page read in two steps
    seen, _ = walk(api, sign + name)

    assert len(seen) == len(set(seen)) == len(tied)
    expected = Task.objects.order_by(*filters.ordering({"ordering": sign + name}))
    assert seen == [str(pk) for pk in expected.values_list("pk", flat=True)]
    # The database's order is the one the ordering promises (unknown values first
    # ascending, last descending; ties by id).
    column = filters.ORDERINGS[name][0]
    values = [getattr(task, column) for task in expected]
    known = [value for value in values if value is not None]
    unknown = len(values) - len(known)
    assert known == sorted(known, reverse=bool(sign))
    assert values == ([*known, *[None] * unknown] if sign else [*[None] * unknown, *known])


def test_a_history_past_the_cap_is_counted_as_a_lower_bound_and_pages_on(api, user):
    make_tasks(COUNT_CAP + 30, user)

    first = api.get("/api/tasks", {"page_size": 500}).json()
    assert (first["count"], first["count_exact"]) == (COUNT_CAP + 1, False)
    assert first["next"] is not None

    third = api.get("/api/tasks", {"page_size": 500, "page": 3}).json()
    assert len(third["tasks"]) == 30
    assert third["next"] is None
    assert api.get("/api/tasks", {"page_size": 500, "page": 4}).status_code == 404


def test_a_small_history_has_its_exact_count(api, user):
    make_tasks(12, user)
    body = api.get("/api/tasks", {"page_size": 5, "page": 3}).json()
    assert (body["count"], body["count_exact"], len(body["tasks"])) == (12, True, 2)
    assert body["next"] is None


def test_the_paginator_reads_one_page_and_one_count(django_assert_num_queries, user):
    make_tasks(COUNT_CAP + 200, user)
    paginator = CappedPaginator(Task.objects.order_by("-created_at", "-id"), 25)
    with django_assert_num_queries(2):  # the page and one more run, the capped count
        page = paginator.page(40)
    deep = CappedPaginator(Task.objects.order_by("-created_at", "-id"), 25)
    with django_assert_num_queries(3):  # past DEEP: the page's ids, its rows, the count
        page = deep.page(42)
        assert page.has_next()
        assert page.has_previous()
        assert len(page.object_list) == 25
        assert page.next_page_number() == 43
    assert deep.exact is False
    expected = Task.objects.order_by("-created_at", "-id")[41 * 25 : 42 * 25]
    assert list(page.object_list) == list(expected)


@pytest.mark.parametrize(("runs", "number"), [(12, 1), (0, 1), (30, 2)], ids=["one", "none", "two"])
def test_a_page_that_reaches_the_end_needs_no_count(django_assert_num_queries, user, runs, number):
    make_tasks(runs, user)
    paginator = CappedPaginator(Task.objects.order_by("-created_at", "-id"), 25)
    with django_assert_num_queries(1):  # the page alone: it says how many there are
        page = paginator.page(number)
        assert (paginator.count, paginator.exact, paginator.capped) == (runs, True, runs)
    assert not page.has_next()
    assert len(page.object_list) == runs - (number - 1) * 25


def test_the_history_page_says_more_than_when_it_did_not_count_all(client, user):
    signed_in = client
    signed_in.force_login(user)
    make_tasks(COUNT_CAP + 5, user)
    html = signed_in.get("/history/").content.decode()
    assert f"More than {COUNT_CAP}" in html
    assert "Last »" not in html
    last = signed_in.get("/history/", {"page": 41}).content.decode()
    assert "Page 41" in last
    assert 'rel="next"' not in last
