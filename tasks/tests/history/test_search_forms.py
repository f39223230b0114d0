"""The forms a search's condition takes by how common its text is (PostgreSQL:
tasks/history/search_pg.py; SQLite: the walk of a common text's count through its
sparsest trigram, tasks/history/search.py): each finds and counts exactly the runs
whose document holds the text, as the plain substring test does."""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from tasks.history import filters, search, search_count, search_pg
from tasks.models import Status, Task
from tasks.tests.factories import make_task, make_tasks

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the forms of PostgreSQL's condition"
)
sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's walk")


@pytest.fixture(autouse=True)
def _statistics_forgotten():
    """The statistics read here belong to this test's rows: no later test searches with
    them (they would change the form of its condition, not its runs)."""
    yield
    search_pg.forget()


def holding(text):
    """The runs whose search document holds `text`, by the database's own substring test
    of the document (no index, no choice of form)."""
    if connection.vendor == "postgresql":
        documents = Task.objects.alias(body=search.search_body())
        found = documents.filter(Q(body__contains=text.lower()))
        return set(found.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT task_id FROM tasks_task_search_row WHERE instr(lower(body), %s) > 0",
            [text.lower()],
        )
        return {Task._meta.pk.to_python(row[0]) for row in cursor.fetchall()}


@pytest.fixture
def history(user, other_user):
    """144 runs: "nightly" and "bat" in nearly all of them, "--batch=421" in three (2 %),
    "421" also in an exception line. Enough different documents for the statistics."""
    make_tasks(60, user, script="nightly_report", argv=["x.py", "--batch=7"])
    make_tasks(50, other_user, script="nightly_digest", argv=["x.py", "--batch=12"])
    for value in range(30):
        make_task(user, script="nightly_report", argv=["x.py", f"--batch={value + 100}"])
    runs = [make_task(user, script="nightly_report", argv=["x.py", "--batch=421"])]
    runs.append(make_task(other_user, script="nightly_digest", argv=["--batch=421"]))
    runs.append(
        make_task(
            user,
            script="nightly_report",
            argv=["--batch=421"],
            status=Status.FAILED,
            exception="ValueError: bad row 421",
        )
    )
    make_task(user, script="nightly_report", exception="ValueError: bad row 421")
    return runs


def analyzed():
    """The statistics PostgreSQL's choice of form reads, taken now (inside the test's
    transaction ANALYZE sees its rows), and read again at the next search."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tasks_task")
    search_pg.forget()


def searched(params):
    runs = filters.apply(Task.objects.all(), params)
    sql, values = runs.query.get_compiler(connection=connection).as_sql()
    return runs, sql, [str(value) for value in values]


TEXTS = [
    "nightly", "NIGHTLY_rep", "--batch=421", "batch=421", "batch=42", "421", "bad row 421",
    "x.py",
]  # fmt: skip


@postgres_only
@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("statistics", [True, False], ids=["analyzed", "no statistics"])
def test_each_form_finds_and_counts_what_the_substring_test_finds(history, text, statistics):
    if statistics:
        analyzed()
    else:
        search_pg.forget()
    runs, _, _ = searched({"q": text})
    wanted = holding(text)
    assert wanted
    assert {task.pk for task in runs} == wanted
    assert search_count.capped_count(runs, 1_001) == len(wanted)
    assert search_count.capped_count(runs, 2) == 2
    failed = filters.apply(Task.objects.all(), {"q": text, "status": "failed"})
    assert {task.pk for task in failed} == {
        task.pk for task in Task.objects.filter(pk__in=wanted, status=Status.FAILED)
    }


@postgres_only
def test_a_common_text_is_tested_run_by_run_and_a_rare_one_asked_by_its_rare_piece(history):
    analyzed()
    _, sql, values = searched({"q": "nightly"})
    assert "STRPOS" in sql
    assert "LIKE" not in sql
    _, sql, values = searched({"q": "--batch=421"})
    # "bat", "atc" and "tch" are in every run: the index is asked for "421" alone.
    assert "%421%" in values
    assert "--batch=421" in values
    assert "STRPOS" in sql
    assert "%--batch=421%" not in values
    # No trigram of "batch" is rare, nor is "42" one: the index is asked where a word
    # starts with "42" (after "=").
    _, sql, values = searched({"q": "batch=42"})
    assert "%=42%" in values
    assert "batch=42" in values


@postgres_only
def test_without_statistics_the_search_is_the_plain_substring_test(history):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM pg_statistic WHERE starelid = 'tasks_task'::regclass")
    search_pg.forget()
    _, sql, values = searched({"q": "--batch=421"})
    assert "STRPOS" not in sql
    assert "%--batch=421%" in values


class Statistics(search_pg.Sample):
    def __init__(self, documents):
        super().__init__(documents, [], [])


def test_the_pieces_asked_of_the_index_leave_out_common_trigrams_and_punctuation():
    documents = [f"report user{n % 20} x.py --batch={n} batch={n}" for n in range(100)]
    sample = Statistics(documents)
    assert sample.share("user13") == pytest.approx(0.05)
    assert search_pg.pieces("--batch=421", sample) == ["421"]
    assert search_pg.pieces("user13", sample) == ["r13"]  # "er1": user1 and user10-19
    assert search_pg.pieces("batch=4", sample) == []  # every trigram common: the plain test
    assert search_pg.pieces("batch=42", sample) == ["=42"]  # a word starting with "42"
    assert search_pg.pieces("x.py --b", sample) == []  # every word starts commonly
    assert search_pg.pieces("bad row 4242", sample) == ["bad", "row", "4242"]
    assert search_pg.pieces("naïve", sample) == []  # not ASCII: the locale folds it


def test_the_most_common_documents_count_with_their_share():
    sample = search_pg.Sample(["a b", "c d"], ["common text"], [0.5])
    assert sample.share("common") == pytest.approx(0.5)
    assert sample.share("a b") == pytest.approx(0.25)
    assert len(sample) == 3


@sqlite_only
@pytest.mark.parametrize(
    "rare", [5, 3], ids=["the rarest of the rare trigrams", "the one reaching furthest back"]
)
def test_a_common_texts_count_walks_its_sparsest_trigram_and_tests_the_text(
    history, user, monkeypatch, rare
):
    monkeypatch.setattr(search, "PROBE", 0)  # every text common: the count walks
    monkeypatch.setattr(search, "RARE", rare)  # "=42" is in 4 runs: rare, or not
    make_task(user, script="sample", exception="ValueError: 421 of =42")  # "=42", not the text
    make_tasks(20, user, argv=["--batch=9"])  # the newest runs: "bat" is dense among them
    for params in ({"q": "batch=42"}, {"q": "batch=42", "status": "failed"}, {"q": "ghtly_r"}):
        runs = filters.apply(Task.objects.all(), params)
        with CaptureQueriesContext(connection) as captured:
            counted = search_count.capped_count(runs, 1_001)
        walked = [query["sql"] for query in captured if "AS driver" in query["sql"]]
        assert (
            counted
            == runs.order_by().count()
            == len(holding(params["q"]) & set(runs.values_list("pk", flat=True)))
        )
        assert walked
        assert "instr(lower(driver.body)" in walked[0]
    walk = getattr(filters.apply(Task.objects.all(), {"q": "batch=42"}).query, search.COMMON)
    assert walk[0] == search.Walk('"=42"', "batch=42")  # the sparsest among the newest
    walk = getattr(filters.apply(Task.objects.all(), {"q": "naïve"}).query, search.COMMON, ())
    assert walk == () or walk[0].text is None  # not ASCII: the phrase, as the index folds it
