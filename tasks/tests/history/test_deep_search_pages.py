"""Numbered pages of a search or a parameter filter stop at run 1,000 (tasks/history/
paging.py): past it the API answers 400 and the history page says so over the first
page; cursor pages go on, and plain filters keep their deep numbered pages."""

import pytest

from tasks.history.paging import SEARCH_OFFSET_LIMIT
from tasks.tests.factories import make_tasks

pytestmark = pytest.mark.django_db

SEARCHES = {
    "text": {"q": "report"},
    "old-name": {"search": "report"},
    "parameter": {"param.region": "eu"},
}
PAST = SEARCH_OFFSET_LIMIT // 50 + 1  # the first page of 50 that starts past the limit


@pytest.fixture
def many(user):
    """More runs than the limit, every one found by each search."""
    return make_tasks(SEARCH_OFFSET_LIMIT + 60, user, script="report", params={"region": "eu"})


@pytest.mark.parametrize("search", list(SEARCHES), ids=list(SEARCHES))
def test_the_api_refuses_a_numbered_search_page_past_the_limit(api, many, search):
    response = api.get("/api/tasks", {**SEARCHES[search], "page": PAST})

    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert "next_cursor" in body["error"]
    assert body["error"].startswith(f"page: page {PAST} of a search")
    assert set(body["errors"]) == {"page"}
    # The page before it still starts within the limit.
    last_allowed = api.get("/api/tasks", {**SEARCHES[search], "page": PAST - 1})
    assert last_allowed.status_code == 200
    assert len(last_allowed.json()["tasks"]) == 50


@pytest.mark.parametrize("search", list(SEARCHES), ids=list(SEARCHES))
def test_the_cursor_pages_of_a_search_go_past_the_limit(api, many, search):
    seen, body = [], api.get("/api/tasks", {**SEARCHES[search], "page_size": 500}).json()
    while True:
        seen.extend(item["id"] for item in body["tasks"])
        if body["next_cursor"] is None:
            break
        body = api.get(body["next_cursor"]).json()
        assert body["success"] is True
    assert len(seen) == len(set(seen)) == len(many)


def test_plain_filters_keep_their_deep_numbered_pages(api, many):
    response = api.get("/api/tasks", {"script": "report", "page": PAST})
    assert response.status_code == 200
    assert len(response.json()["tasks"]) == 50
    assert api.get("/api/tasks", {"page": PAST}).status_code == 200


def test_a_small_search_past_its_end_is_not_found_as_before(api, user):
    make_tasks(12, user, script="report")
    response = api.get("/api/tasks", {"q": "report", "page": PAST})
    assert response.status_code == 404
    assert response.json()["success"] is False


def test_the_schema_says_where_numbered_search_pages_stop(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = schema["paths"]["/api/tasks/"]["get"]["parameters"]
    page = next(parameter for parameter in parameters if parameter["name"] == "page")
    assert "next_cursor" in page["description"]
    assert f"{SEARCH_OFFSET_LIMIT:,}" in page["description"]


@pytest.mark.parametrize("search", ["text", "parameter"], ids=["text", "parameter"])
def test_the_history_page_says_so_over_the_first_page(client, user, many, search):
    client.force_login(user)
    deep = SEARCH_OFFSET_LIMIT // 25 + 1
    response = client.get("/history/", {**SEARCHES[search], "page": deep})

    assert response.status_code == 400
    html = response.content.decode()
    assert f"Page {deep} of a search cannot be opened by its number" in html
    assert 'role="alert"' in html
    assert "Page 1" in html
    assert 'rel="next"' in html  # the way down
    assert len(response.context["runs"]) == 25
    assert [run.pk for run in response.context["runs"]] == [run.pk for run in many[:25]]


def test_the_history_page_keeps_deep_numbered_pages_without_a_search(client, user, many):
    client.force_login(user)
    deep = SEARCH_OFFSET_LIMIT // 25 + 1
    response = client.get("/history/", {"script": "report", "page": deep})
    assert response.status_code == 200
    assert f"Page {deep}" in response.content.decode()
    assert "cannot be opened by its number" not in response.content.decode()
