"""manage.py purge_tasks: what it removes, what it would remove, what it refuses."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.template.defaultfilters import filesizeformat

from tasks.models import LogChunk, Status, Task
from tasks.tests.factories import make_task, make_tasks

pytestmark = pytest.mark.django_db

OLD = 31 * 24 * 60  # minutes


def purge(*args):
    out = StringIO()
    call_command("purge_tasks", *args, stdout=out)
    return out.getvalue()


def test_it_removes_finished_runs_older_than_the_age_and_says_what_went(user):
    make_tasks(3, user, age_minutes=OLD, log_size=1024)
    make_tasks(2, user, script="lines", status=Status.FAILED, age_minutes=OLD, log_size=1024)
    recent = make_task(user, age_minutes=41760)
    old_running = make_task(user, age_minutes=OLD, status=Status.RUNNING)
    output = purge("--older-than", "30d")
    assert "Removed 5 runs and 5.0\xa0KB of logs (finished runs created before " in output
    assert "  echo   success          3 runs  3.0\xa0KB" in output
    assert "  lines  failed           2 runs  2.0\xa0KB" in output
    assert "Kept 1 matching run that is still pending or running." in output
    assert "1 batch; the longest write transaction took" in output
    assert set(Task.objects.values_list("pk", flat=True)) == {recent.pk, old_running.pk}
    assert not LogChunk.objects.exists()


def test_a_dry_run_prints_the_same_and_removes_nothing(user):
    make_tasks(4, user, age_minutes=OLD, log_size=2048)
    output = purge("--older-than", "30d", "--dry-run")
    assert output.startswith("Would remove 4 runs and 8.0\xa0KB of logs")
    assert "longest write transaction" not in output
    assert Task.objects.count() == 4
    assert LogChunk.objects.count() == 4


def test_it_narrows_by_status_and_script(user):
    make_tasks(2, user, age_minutes=OLD, status=Status.FAILED)
    make_tasks(2, user, age_minutes=OLD, status=Status.FAILED, script="lines")
    make_tasks(2, user, age_minutes=OLD, status=Status.CANCELLED, script="lines")
    make_tasks(2, user, age_minutes=OLD)
    output = purge("--older-than", "30d", "--status", "failed,cancelled", "--script", "lines")
    assert output.startswith("Removed 4 runs")
    assert "status failed or cancelled, script lines" in output
    assert Task.objects.count() == 4
    assert not Task.objects.filter(script="lines").exists()


def test_ages_take_units(user):
    make_task(user, age_minutes=180)
    assert purge("--older-than", "4h").startswith("Removed 0 runs")
    assert purge("--older-than", "2h").startswith("Removed 1 run ")


def test_nothing_to_remove_says_so(db):
    assert purge("--older-than", "0d").startswith("Removed 0 runs and 0\xa0bytes of logs")


def test_it_works_in_batches(user):
    make_tasks(7, user, age_minutes=OLD)
    assert "4 batches" in purge("--older-than", "30d", "--batch-size", "2")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--older-than", "soon"], "--older-than 'soon': use a number with a unit"),
        (["--older-than", "1d", "--status", "running"], "running runs are never purged"),
        (["--older-than", "1d", "--status", "lost"], "'lost' is unknown"),
        (["--older-than", "1d", "--batch-size", "0"], "--batch-size must be at least 1"),
    ],
)
def test_it_refuses_bad_arguments_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message) as raised:
        call_command("purge_tasks", *args)
    assert raised.value.returncode == 2


def test_the_age_is_required():
    with pytest.raises(CommandError, match="--older-than"):
        call_command("purge_tasks")


@pytest.mark.django_db(transaction=True)
def test_the_report_counts_the_bytes_of_the_runs_files(inline, user):
    from tasks import services
    from tasks.models import Artifact
    from tasks.tests.helpers import wait_finished

    task = wait_finished(services.execute(user, "files", {}, []).pk)
    size = filesizeformat(task.artifact_bytes)
    assert f"and {size} of files" in purge("--older-than", "0d", "--dry-run")
    assert f"and {size} of files" in purge("--older-than", "0d")
    assert not Artifact.objects.exists()
