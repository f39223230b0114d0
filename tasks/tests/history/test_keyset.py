"""Cursor pages (tasks/history/keyset.py) through the API and the history page: walked
forwards and back, under every ordering and with filters, they show every run once, in
the database's order with ties broken by id; a cursor that is not one is refused."""

import random
import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from tasks.history import filters, keyset
from tasks.models import Status, Task
from tasks.tests.factories import task_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def tied(user):
    """70 runs with many ties (a handful of creation times, statuses, scripts, durations)
    and unknown values (pending runs have no duration, some no progress)."""
    generator = random.Random(11)
    moment = timezone.now()
    rows = []
    for _number in range(70):
        status = generator.choice([Status.SUCCESS, Status.FAILED, Status.PENDING])
        row = task_row(user, script=generator.choice(["alpha", "beta"]), status=status)
        row.created_at = moment - timedelta(minutes=generator.randrange(4))
        row.params = {"region": generator.choice(["eu", "us"])}
        if status != Status.PENDING:
            row.duration = timedelta(seconds=generator.randrange(3))
            row.progress = generator.choice([None, 50])
            row.return_code = generator.choice([None, 0, 1])
        rows.append(row)
    Task.objects.bulk_create(rows)
    return rows


def expected(params):
    runs = filters.apply(Task.objects.all(), params)
    return [str(pk) for pk in runs.values_list("pk", flat=True)]


def walk_api(api, params, size):
    """Every run, by following next_cursor from the first page; then back again by
    previous; returns (forwards, backwards, the page numbers seen)."""
    body = api.get("/api/tasks", {**params, "page_size": size}).json()
    pages = [[item["id"] for item in body["tasks"]]]
    while body["next_cursor"]:
        response = api.get(body["next_cursor"])
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["next"] == body["next_cursor"]
        pages.append([item["id"] for item in body["tasks"]])
    back = [pages[-1]]
    while body["previous_cursor"]:
        body = api.get(body["previous_cursor"]).json()
        back.insert(0, [item["id"] for item in body["tasks"]])
    return pages, back


@pytest.mark.parametrize("name", list(filters.ORDERINGS))
@pytest.mark.parametrize("sign", ["", "-"])
def test_api_cursor_pages_walk_every_ordering_both_ways_with_ties(api, tied, name, sign):
    params = {"ordering": sign + name}
    pages, back = walk_api(api, params, size=6)

    seen = [run for page in pages for run in page]
    assert seen == expected(params)
    assert len(seen) == len(tied)
    assert back == pages  # previous links give back the same pages, in the same order


@pytest.mark.parametrize(
    "params",
    [
        {"status": "success,failed", "ordering": "-duration"},
        {"script": "alpha", "ordering": "status"},
        {"q": "beta", "ordering": "-progress"},
        {"param.region": "eu", "ordering": "return_code"},
        {"q": "region=us", "ordering": "-created_at"},
    ],
)
def test_api_cursor_pages_keep_the_filters(api, tied, params):
    pages, back = walk_api(api, params, size=4)
    seen = [run for page in pages for run in page]
    assert seen == expected(params)
    assert 0 < len(seen) < len(tied)
    assert back == pages


def test_a_cursor_from_a_numbered_page_goes_on_from_it(api, tied):
    third = api.get("/api/tasks", {"ordering": "-status", "page": 3, "page_size": 10}).json()
    fourth = api.get(third["next_cursor"]).json()
    by_page = api.get("/api/tasks", {"ordering": "-status", "page": 4, "page_size": 10}).json()
    assert [t["id"] for t in fourth["tasks"]] == [t["id"] for t in by_page["tasks"]]
    assert "page=" not in fourth["next_cursor"]
    second = api.get(third["previous_cursor"]).json()
    by_page = api.get("/api/tasks", {"ordering": "-status", "page": 2, "page_size": 10}).json()
    assert [t["id"] for t in second["tasks"]] == [t["id"] for t in by_page["tasks"]]
    # The envelope is the numbered pages' one.
    assert (fourth["count"], fourth["count_exact"]) == (len(tied), True)


@pytest.mark.parametrize(
    ("cursor", "message"),
    [
        ("not-a-cursor", "not a cursor of this history"),
        ("eyJvIjoiLWNyZWF0ZWRfYXQiLCJ2IjpbMV19", "not a cursor of this history"),  # 1 value
        (keyset.Cursor("-created_at", ("yesterday", "x")).encode(), "not a cursor"),
        (keyset.Cursor("duration", (None, "x")).encode(), "made for ordering=duration"),
    ],
)
def test_a_bad_cursor_is_refused_with_a_message(api, client, user, tied, cursor, message):
    response = api.get("/api/tasks", {"cursor": cursor})
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert response.json()["error"].startswith("cursor: ")

    client.force_login(user)
    page = client.get("/history/", {"cursor": cursor})
    assert page.status_code == 400
    assert message in unescape(page.content.decode())


def test_page_and_cursor_together_are_refused(api, tied):
    first = api.get("/api/tasks", {"page_size": 5}).json()
    response = api.get(first["next_cursor"] + "&page=2")
    assert response.status_code == 400
    assert response.json()["error"] == "cursor: give either page or cursor, not both"


def link(content, rel):
    found = re.search(rf'<a href="([^"]+)" class="button" rel="{rel}">', content)
    return "/history/" + unescape(found.group(1)) if found else None


@pytest.mark.parametrize(
    "params",
    [
        {"ordering": "-created_at"},
        {"ordering": "duration"},
        {"ordering": "-user", "status": "failed,pending"},
        {"ordering": "script", "q": "alpha"},
    ],
)
def test_the_history_page_walks_by_cursor_both_ways(client, user, tied, params):
    client.force_login(user)
    response = client.get("/history/", {**params, "page_size": 25})
    pages, numbers = [[str(task.pk) for task in response.context["runs"]]], [1]
    while (after := link(response.content.decode(), "next")) is not None:
        assert "cursor=" in after
        assert "page=" not in after
        response = client.get(after)
        assert response.status_code == 200
        pages.append([str(task.pk) for task in response.context["runs"]])
        numbers.append(response.context["page_number"])
    assert [run for page in pages for run in page] == expected(params)
    assert numbers == list(range(1, len(pages) + 1))
    back = [pages[-1]]
    while (before := link(response.content.decode(), "prev")) is not None:
        response = client.get(before)
        back.insert(0, [str(task.pk) for task in response.context["runs"]])
    assert back == pages
    assert response.context["page_number"] == 1


def test_a_column_header_starts_again_without_the_cursor(client, user, tied):
    client.force_login(user)
    first = client.get("/history/", {"page_size": 25}).content.decode()
    second = client.get(link(first, "next")).content.decode()
    headers = re.findall(r'<a href="([^"]+)" class="sort', second)
    assert headers
    assert not any("cursor=" in unescape(href) for href in headers)
