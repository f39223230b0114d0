"""The capped count of a common search (tasks/history/search_count.py): read through the
index's matches on SQLite, it is the count the plain query gives, with the query's other
filters, its access rules and its limit, and it falls back to the plain count when the
walk through the matches does not settle it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks import access
from tasks.history import filters, search, search_count
from tasks.models import Status, Task
from tasks.tests.factories import make_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def common(user, other_user, monkeypatch):
    """Every text is common (more than PROBE matches): the path whose count walks."""
    monkeypatch.setattr(search, "PROBE", 0)
    make_tasks(30, user, script="nightly_report", params={"region": "eu"})
    make_tasks(8, user, script="nightly_report", status=Status.FAILED)
    make_tasks(12, other_user, script="nightly_report", params={"region": "us"})
    make_tasks(10, user, script="echo")


def counts(params, limit, user=None):
    visible = Task.objects.all() if user is None else access.visible_tasks(user)
    runs = filters.apply(visible, params)
    with CaptureQueriesContext(connection) as captured:
        counted = search_count.capped_count(runs, limit)
    walked = any("AS driver" in query["sql"] for query in captured.captured_queries)
    return counted, runs.order_by()[:limit].count(), walked


CASES = {
    "text": {"q": "nightly_rep"},
    "text and status": {"q": "nightly_rep", "status": "failed"},
    "text of no run of the filters": {"q": "nightly_rep", "user": "nobody"},
    "parameter": {"param.region": "eu"},
    "parameter and text": {"param.region": "us", "q": "nightly"},
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
@pytest.mark.parametrize("limit", [5, 1_001], ids=["below", "above"])
def test_the_count_through_the_index_is_the_plain_count(common, case, limit):
    counted, plain, walked = counts(CASES[case], limit)
    assert counted == plain
    assert walked == (connection.vendor == "sqlite")


def test_the_count_keeps_the_access_rules(common, other_user):
    counted, plain, _ = counts({"q": "nightly_rep"}, 1_001, user=other_user)
    assert counted == plain == 12


def test_a_walk_that_does_not_settle_it_leaves_it_to_the_plain_count(common, monkeypatch):
    monkeypatch.setattr(search_count, "WALKED", 3)  # fewer than the matches
    counted, plain, _ = counts({"q": "nightly_rep", "status": "failed"}, 1_001)
    assert counted == plain == 8


def test_an_id_prefix_or_a_rare_text_is_counted_plainly(common, monkeypatch):
    monkeypatch.setattr(search, "PROBE", 2_000)  # rare again: the index's matches by id
    assert counts({"q": "nightly_rep"}, 1_001)[2] is False
    task = Task.objects.first()
    monkeypatch.setattr(search, "PROBE", 0)
    # A hex text is an id prefix too: its runs are not all matches of the index.
    counted, plain, walked = counts({"q": str(task.pk)[:8]}, 1_001)
    assert (counted, walked) == (plain, False)
