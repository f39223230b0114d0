"""Search by a parameter's value: `?param.region=eu` on the history page and the API."""

import pytest

from tasks.history import filters
from tasks.models import Task
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(user):
    return {
        "eu": make_task(user, params={"region": "eu", "count": 3, "dry": True}),
        "us": make_task(user, params={"region": "us", "count": 4, "dry": False}),
        "none": make_task(user, params={}),
        "text3": make_task(user, params={"count": "3"}),
    }


def found(params):
    return {task.pk for task in filters.apply(Task.objects.all(), params)}


def test_a_parameter_value_finds_the_runs_that_had_it(runs):
    assert found({"param.region": "eu"}) == {runs["eu"].pk}
    assert found({"param.region": "asia"}) == set()


def test_numbers_and_booleans_match_as_typed_or_as_text(runs):
    assert found({"param.count": "3"}) == {runs["eu"].pk, runs["text3"].pk}
    assert found({"param.dry": "false"}) == {runs["us"].pk}


def test_two_parameters_must_both_match(runs):
    assert found({"param.region": "eu", "param.count": "4"}) == set()
    assert found({"param.region": "us", "param.count": "4"}) == {runs["us"].pk}


def test_a_bad_parameter_name_is_a_clear_error(runs):
    with pytest.raises(filters.FilterError, match="letters, digits and underscores"):
        found({"param.region')--": "eu"})


def test_the_api_and_the_page_filter_by_parameter_value(runs, api, client, user):
    response = api.get("/api/tasks?param.region=eu")
    assert response.status_code == 200
    body = response.json()
    assert [task["id"] for task in body["tasks"]] == [str(runs["eu"].pk)]
    assert api.get("/api/tasks?param.bad-name=eu").status_code == 400
    client.force_login(user)
    html = client.get("/history/?param.region=us").content.decode()
    assert str(runs["us"].pk) in html
    assert str(runs["eu"].pk) not in html
