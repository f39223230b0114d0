"""What a run's end writes, statement by statement: a trivial run pays for every one of
them, so each is there because the end needs it (docs/benchmarks.md, the trivial script)."""

import pytest
from django.db import connection

from tasks import services
from tasks.history.search import containing
from tasks.models import ScriptHour, ScriptTotal, Status, Task

pytestmark = pytest.mark.django_db(transaction=True)


def statements_of(call):
    made = []

    def record(execute, sql, params, many, context):
        if not sql.startswith("BEGIN"):  # SQLite's transactions (PostgreSQL's are implicit)
            made.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        result = call()
    return result, made


def final_write(statements):
    """The statements from the run's end (its UPDATE to a finished status) on."""
    ends = [i for i, sql in enumerate(statements) if sql.startswith('UPDATE "tasks_task"')]
    return statements[ends[-1] :]


def test_the_end_is_one_update_returning_two_upserts_and_the_event(inline, user):
    task, statements = statements_of(lambda: services.execute(user, "echo", {}, ["hello"]))
    task.refresh_from_db()
    assert task.status == Status.SUCCESS
    end = final_write(statements)
    assert '"status" = ' in end[0]
    assert " RETURNING " in end[0]
    # No read of the row after its update, no savepoint inside the write.
    assert not [sql for sql in end if sql.startswith("SELECT") or "SAVEPOINT" in sql]
    assert [sql.split(" (")[0] for sql in end[1:]] == [
        'INSERT INTO "tasks_scripthour"',
        'INSERT INTO "tasks_scripttotal"',
        'INSERT INTO "tasks_runevent"',
    ]
    assert all("ON CONFLICT" in sql for sql in end[1:3])
    # Without an exception line the column is left out: on SQLite naming it would make
    # the search trigger rewrite the run's search document.
    assert '"exception"' not in end[0].split(" RETURNING ")[0]


def test_two_runs_in_one_hour_add_up_in_one_row_of_each_grain(inline, user):
    for _ in range(2):
        services.execute(user, "echo", {}, ["hello"])
    hour = ScriptHour.objects.get(script="echo", status=Status.SUCCESS)
    total = ScriptTotal.objects.get(script="echo", status=Status.SUCCESS)
    runs = list(Task.objects.filter(script="echo"))
    for row in (hour, total):
        assert (row.runs, row.started, row.timed) == (2, 2, 2)
        assert row.duration_seconds == pytest.approx(sum(t.duration.total_seconds() for t in runs))
        assert row.log_bytes == sum(t.log_bytes for t in runs) > 0
        # A run too short for a sample, whose wait4 figure is the server's, has none.
        peaks = [t.peak_memory_kb for t in runs if t.peak_memory_kb is not None]
        assert row.peak_memory_kb == (max(peaks) if peaks else None)


def test_an_exception_line_is_written_and_found_by_search(inline, user):
    task = services.execute(user, "fail", {}, [])
    task.refresh_from_db()
    assert task.status == Status.FAILED
    assert task.exception
    found = containing(Task.objects.all(), task.exception.split(":")[0])
    assert list(found.values_list("pk", flat=True)) == [task.pk]
