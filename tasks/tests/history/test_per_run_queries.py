"""The queries made for every run (its script's usual duration as it starts, whether it
recovered as it ends, the estimate its page shows) read the newest entries of an index
and stop: none sorts the script's whole history, which took 4 s a run at 1M runs."""

import pytest
from django.db import connection

from tasks.executor.watchdog import usual_duration
from tasks.models import Status
from tasks.notifications.events import events_of_end
from tasks.tests.factories import make_task
from tasks.web.views.panel import estimate

pytestmark = pytest.mark.django_db


def plans_of(call):
    """EXPLAIN QUERY PLAN of each query `call()` makes: [(sql, [plan lines])]."""
    made = []

    def record(execute, sql, params, many, context):
        made.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        call()
    plans = []
    with connection.cursor() as cursor:
        for sql, params in made:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plans.append((sql, [row[-1] for row in cursor.fetchall()]))
    return plans


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
@pytest.mark.parametrize("which", ["usual duration", "recovered", "estimate"])
def test_a_per_run_query_walks_an_index_without_sorting(user, which):
    for status in (Status.SUCCESS, Status.FAILED, Status.SUCCESS):
        make_task(user, status=status)
    task = make_task(user, status=Status.SUCCESS)
    call = {
        "usual duration": lambda: usual_duration(task.script),
        "recovered": lambda: events_of_end(task),
        "estimate": lambda: estimate(user, task),
    }[which]
    plans = plans_of(call)
    assert plans
    for sql, plan in plans:
        assert not any("TEMP B-TREE" in line for line in plan), (sql, plan)
        assert any("USING INDEX" in line or "USING COVERING INDEX" in line for line in plan), (
            sql,
            plan,
        )
