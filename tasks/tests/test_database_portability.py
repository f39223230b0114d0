"""The same answers on SQLite and PostgreSQL: ./bin/test runs this file on both.

Each test pins a place where the two databases differ unless the code says what it
means: NUL in text, the text form of uuid and JSON columns, where NULL sorts."""

import json

import pytest

from tasks import services
from tasks.history import filters, logs
from tasks.models import LogChunk, Status, Stream, Task
from tasks.tests.helpers import wait_finished

pytestmark = pytest.mark.django_db


@pytest.fixture
def nul_script(settings, tmp_path):
    (tmp_path / "nul.py").write_text(
        "import sys\n"
        "sys.stdout.write('a\\x00b\\n::progress 50 half\\x00way\\n')\n"
        "sys.stderr.write('Traceback (most recent call last):\\n  x\\nValueError: n\\x00l\\n')\n"
    )
    (tmp_path / "catalog.toml").write_text('[scripts.nul]\npath = "nul.py"\n')
    settings.EXECUTOR_SCRIPTS = str(tmp_path / "catalog.toml")


@pytest.mark.django_db(transaction=True)
def test_a_script_printing_nul_bytes_runs_to_its_end_with_every_byte_logged(
    inline, user, nul_script
):
    task = wait_finished(services.execute(user, "nul", {}, []).pk)

    assert task.status == Status.SUCCESS
    chunks = LogChunk.objects.filter(task=task, stream=Stream.STDOUT)
    # stdout is block-buffered (see README "Live output"), so it may follow stderr's lines.
    assert b"".join(bytes(chunk.data) for chunk in chunks).startswith(
        b"a\x00b\n::progress 50 half\x00way\n"
    )
    assert "a\x00b" in logs.read(task.pk).text
    # Text columns cannot hold NUL on PostgreSQL: there it is shown as U+FFFD.
    assert task.stdout_tail.startswith("a\ufffdb\n")
    assert task.progress_message == "half\ufffdway"
    assert task.exception == "ValueError: n\ufffdl"


def test_search_finds_a_run_by_an_id_prefix_typed_with_or_without_hyphens(api, user):
    task = services.execute(user, "echo", {}, [])
    other = services.execute(user, "echo", {}, [])
    text = str(task.pk)
    prefixes = [text[:8], text[:13], text[:13].replace("-", ""), text, text.upper()]

    for prefix in prefixes:
        found = api.get("/api/tasks", {"q": prefix}).json()["tasks"]
        assert [item["id"] for item in found] == [text], prefix
    assert str(other.pk) not in {item["id"] for item in found}


@pytest.mark.parametrize("argument", ["café", 'say "hi"', "C:\\temp", "naïve ünïcode"])
def test_search_finds_arguments_with_quotes_backslashes_and_accents(api, user, argument):
    wanted = services.execute(user, "echo", {}, [argument])
    services.execute(user, "echo", {}, ["plain"])

    found = api.get("/api/tasks", {"q": argument}).json()["tasks"]

    assert [item["id"] for item in found] == [str(wanted.pk)]
    assert json.loads(json.dumps(found[0]["args"])) == [argument]


@pytest.mark.parametrize("ordering", ["progress", "-progress"])
def test_runs_whose_progress_is_unknown_sort_first_ascending_and_last_descending(
    api, user, ordering
):
    """The same place on SQLite and PostgreSQL: one index serves both directions
    (tasks/models/indexes.py)."""
    for progress in (None, 40, 90):
        task = services.execute(user, "echo", {}, [])
        Task.objects.filter(pk=task.pk).update(progress=progress)

    found = api.get("/api/tasks", {"ordering": ordering}).json()["tasks"]

    # The seed's envelope says 0 for "none reported" (progress_reported tells them apart).
    if ordering == "progress":
        assert [item["progress"] for item in found] == [0, 40, 90]
        assert [item["progress_reported"] for item in found] == [False, True, True]
    else:
        assert [item["progress"] for item in found] == [90, 40, 0]
        assert [item["progress_reported"] for item in found] == [True, True, False]


@pytest.mark.parametrize("name", ["q", "script", "user", "status"])
def test_a_filter_with_a_nul_character_is_refused_with_a_clear_message(api, name):
    response = api.get("/api/tasks", {name: "a\x00b"})

    assert response.status_code == 400
    assert response.json()["error"] == f"{name}: must not contain NUL characters"


def test_every_ordering_answers_in_both_directions(api, user):
    for _ in range(2):
        services.execute(user, "echo", {}, [])

    for name in filters.ORDERINGS:
        for ordering in (name, f"-{name}"):
            response = api.get("/api/tasks", {"ordering": ordering, "q": "echo"})
            assert response.status_code == 200, ordering
            assert response.json()["count"] == 2
