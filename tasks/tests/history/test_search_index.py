"""The history's search index (migration 0015, tasks/history/search.py): it finds a run by
each field, on SQLite (FTS5) and PostgreSQL (pg_trgm), and stays in step with the rows
through updates, deletes and purges, because the database keeps it."""

from datetime import timedelta

import pytest
from django.db import connection

from tasks import services
from tasks.history import filters, search
from tasks.models import Status, Task
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(user):
    return {
        "report": make_task(
            user,
            script="nightly_report",
            argv=["/usr/bin/python3", "nightly_report.py", "--zebra", "naïve"],
            params={"region": "emea", "count": 42},
            exception="KeyError: 'customer_id'",
        ),
        "other": make_task(user, script="echo", params={"region": "apac"}),
    }


def found(text, queryset=None):
    queryset = Task.objects.all() if queryset is None else queryset
    return {task.pk for task in filters.apply(queryset, {"q": text})}


@pytest.fixture(params=["rare trigrams", "phrase", "in order"])
def path(request, monkeypatch):
    """Every way the SQLite search answers: from the runs that hold the text's rare
    trigrams (in a small history every trigram is rare), from the index's matches of
    the whole text (no trigram rare), and by testing runs in order (a common text: more
    than PROBE matches)."""
    if request.param == "phrase":
        monkeypatch.setattr(search, "RARE", 0)
    if request.param == "in order":
        monkeypatch.setattr(search, "PROBE", 0)
    return request.param


@pytest.mark.parametrize(
    "text",
    [
        "nightly_rep",  # script
        "ALIC",  # user, any case
        "customer_id",  # exception line
        "--zebra",  # argument
        "naïve",  # argument, not ASCII
        "emea",  # parameter value
        "region=emea",  # parameter as name=value
        "count=42",  # a number parameter
    ],
)
def test_the_search_finds_a_run_by_each_field(runs, path, text):
    expected = {runs["report"].pk}
    if text == "ALIC":
        expected.add(runs["other"].pk)
    assert found(text) == expected


def test_the_search_finds_a_run_by_the_first_characters_of_its_id(runs, path):
    text = str(runs["report"].pk)
    for prefix in (text[:4], text[:8], text[:13], text[:13].replace("-", ""), text.upper()):
        assert runs["report"].pk in found(prefix), prefix


def test_a_text_too_short_for_the_index_is_refused_with_a_clear_message(runs):
    with pytest.raises(filters.FilterError, match="type at least 3 characters"):
        found("em")


def test_a_parameter_filter_uses_the_index_and_stays_exact(runs, path):
    def by(name, value):
        return {t.pk for t in filters.apply(Task.objects.all(), {f"param.{name}": value})}

    assert by("region", "emea") == {runs["report"].pk}
    assert by("region", "eme") == set()  # the index narrows, the JSON test is exact
    assert by("count", "42") == {runs["report"].pk}


def test_an_update_through_the_orm_is_searchable_at_once(runs, path):
    task = runs["other"]
    Task.objects.filter(pk=task.pk).update(exception="ZeroDivisionError: division by zero")
    assert found("division by zero") == {task.pk}

    Task.objects.filter(pk=task.pk).update(exception="")
    assert found("division by zero") == set()


def test_a_saved_change_of_script_or_parameters_replaces_the_old_text(runs, path):
    task = runs["other"]
    task.script, task.params = "weekly_digest", {"region": "latam"}
    task.save()
    assert found("weekly_digest") == {task.pk}
    assert found("latam") == {task.pk}
    assert found("apac") == set()


def test_deleted_and_purged_runs_leave_the_index(runs, path):
    runs["report"].delete()
    assert found("customer_id") == set()

    services.purge(None, Task.objects.filter(pk=runs["other"].pk))  # as the retention pass
    assert found("apac") == set()
    assert Task.objects.count() == 0
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tasks_task_search_row")
            assert cursor.fetchone()[0] == 0
            cursor.execute(
                "SELECT count(*) FROM tasks_task_search WHERE tasks_task_search MATCH 'apac'"
            )
            assert cursor.fetchone()[0] == 0


def test_the_search_keeps_the_callers_other_filters(runs, user, path):
    failed = make_task(user, script="nightly_report", status=Status.FAILED)
    queryset = Task.objects.filter(status=Status.FAILED)
    assert found("nightly_report", queryset) == {failed.pk}
    old = make_task(user, script="nightly_report", age_minutes=60 * 24 * 10)
    recent = filters.apply(
        Task.objects.all(),
        {
            "q": "nightly_report",
            "created_before": (old.created_at + timedelta(minutes=1)).isoformat(),
        },
    )
    assert {task.pk for task in recent} == {old.pk}


def test_a_text_of_common_and_rare_trigrams_is_found_through_the_rare_ones(user, monkeypatch):
    monkeypatch.setattr(search, "RARE", 3)  # a trigram in three runs is common here
    wanted = make_task(user, argv=["x.py", "--batch=421"])
    for value in ("422", "423", "521"):
        make_task(user, argv=["x.py", f"--batch={value}"])
    elsewhere = make_task(user, argv=["x.py", "--batch=999"], exception="ValueError: row 421")

    assert found("--batch=421") == {wanted.pk}
    assert found("BATCH=421") == {wanted.pk}
    assert found("421") == {wanted.pk, elsewhere.pk}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            assert search._rare_trigrams(cursor, "--batch=421") == ["421"]
            assert search._rare_trigrams(cursor, "--batch=") == []  # the whole text then
            assert search._rare_trigrams(cursor, "naïve") == []  # not ASCII: the index folds
