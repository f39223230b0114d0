"""A run's working folder, its artifacts and its summary, with real child processes."""

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import time
import uuid
from unittest import mock

import pytest
from django.db import connection

from tasks import services
from tasks.executor.workdir import (
    ENDED_SUFFIX,
    PREFIX,
    Directives,
    deployment,
    folder_prefix,
    sweep_orphans,
)
from tasks.history import logs
from tasks.models import Artifact, ArtifactKind, Status, Stream, Task, artifact_bytes
from tasks.tests.factories import make_task
from tasks.tests.helpers import wait_finished

pytestmark = pytest.mark.django_db(transaction=True)


def run(user, *args):
    return wait_finished(services.execute(user, "files", {}, list(args)).pk)


def last_json(task):
    return json.loads(logs.read(task.pk).text.strip().splitlines()[-1])


def test_what_a_script_leaves_is_collected_with_size_type_and_digest(inline, user):
    task = run(user)
    assert task.status == Status.SUCCESS
    kept = {a.name: a for a in Artifact.objects.filter(task=task).outputs()}
    assert set(kept) == {
        "chart.png",
        "data.json",
        "extra.txt",
        "logo.svg",
        "notes.md",
        "page.html",
        "report.csv",
        "sub/deep.txt",
    }
    csv = kept["report.csv"]
    body = csv.read()
    assert body.startswith(b"name,total\n")
    assert (csv.size, csv.sha256) == (len(body), hashlib.sha256(body).hexdigest())
    assert csv.media_type == "text/csv"
    assert kept["chart.png"].media_type == "image/png"
    assert kept["extra.txt"].read() == b"named by a directive\n"
    assert task.artifact_bytes == sum(a.size for a in kept.values())
    assert artifact_bytes(Task.objects.filter(pk=task.pk)) == task.artifact_bytes


def test_links_and_files_outside_the_working_folder_are_left_out_with_a_note(inline, user):
    task = run(user)
    assert "Left out passwd: a symbolic link" in task.files_note
    outside = "only files in the run's working folder are kept"
    assert f"Left out /etc/hostname: {outside}" in task.files_note
    # Through a link to a folder, or up and out of the working folder: the same.
    assert f"Left out etc/hostname: {outside}" in task.files_note
    assert f"Left out ../outside.txt: {outside}" in task.files_note
    assert set(Artifact.objects.filter(task=task).values_list("name", flat=True)).isdisjoint(
        {"passwd", "/etc/hostname", "etc/hostname", "hostname"}
    )


def test_an_artifacts_folder_replaced_by_a_link_keeps_nothing(inline, user, settings, tmp_path):
    script = tmp_path / "swap.py"
    script.write_text(
        "import os, shutil\n"
        "shutil.rmtree(os.environ['EXECUTOR_ARTIFACTS'])\n"
        "os.symlink('/etc', os.environ['EXECUTOR_ARTIFACTS'])\n"
    )
    (tmp_path / "catalog.toml").write_text('[scripts.swap]\npath = "swap.py"\n')
    settings.EXECUTOR_SCRIPTS = str(tmp_path / "catalog.toml")
    task = wait_finished(services.execute(user, "swap", {}, []).pk)
    assert task.status == Status.SUCCESS
    assert not Artifact.objects.filter(task=task).exists()


def test_the_working_folder_is_gone_when_the_run_ends(inline, user):
    task = run(user)
    where = last_json(task)
    assert not os.path.exists(where["workdir"])
    assert task.status == Status.SUCCESS


def test_a_failed_run_keeps_its_artifacts_too(inline, user):
    task = run(user, "exit=3")
    assert (task.status, task.return_code) == (Status.FAILED, 3)
    assert Artifact.objects.filter(task=task, name="report.csv").exists()
    assert not os.path.exists(last_json(task)["workdir"])


def test_a_run_without_uploads_gets_no_inputs_folder_and_leaves_nothing_behind(
    inline, user, settings, tmp_path
):
    settings.EXECUTOR_WORK_ROOT = str(tmp_path / "work")
    script = tmp_path / "look.py"
    script.write_text("import os\nprint(sorted(os.listdir(os.environ['EXECUTOR_WORKDIR'])))\n")
    (tmp_path / "catalog.toml").write_text('[scripts.look]\npath = "look.py"\n')
    settings.EXECUTOR_SCRIPTS = str(tmp_path / "catalog.toml")
    task = wait_finished(services.execute(user, "look", {}, []).pk)
    assert task.status == Status.SUCCESS
    assert logs.read(task.pk).text == "['artifacts', 'summary.md']\n"
    # Set aside before the final write, removed after it: neither name is left.
    assert list((tmp_path / "work").iterdir()) == []


def test_the_catalog_caps_a_file_and_a_run_and_the_run_says_what_went(inline, user):
    task = run(user, "big=300000", "many=8", "size=150000")
    assert "Left out big.bin: 293.0 KiB, over the cap of 195.3 KiB a file." in task.files_note
    parts = Artifact.objects.filter(task=task, name__startswith="part-")
    # 1,000,000 bytes a run: what the small files took first leaves room for six parts.
    assert parts.count() == 6
    assert "Left out part-6.bin: 146.5 KiB, over the cap of 976.6 KiB a run." in task.files_note
    assert task.artifact_bytes <= 1_000_000


def test_the_global_caps_apply_without_an_entry_cap(inline, user, settings, tmp_path):
    script = tmp_path / "one.py"
    script.write_text(
        "import os, pathlib\n"
        "d = pathlib.Path(os.environ['EXECUTOR_ARTIFACTS'])\n"
        "(d / 'a.txt').write_text('a' * 50)\n(d / 'b.txt').write_text('b' * 5000)\n"
    )
    (tmp_path / "catalog.toml").write_text('[scripts.one]\npath = "one.py"\n')
    settings.EXECUTOR_SCRIPTS = str(tmp_path / "catalog.toml")
    settings.EXECUTOR_MAX_ARTIFACT_BYTES = 1000
    task = wait_finished(services.execute(user, "one", {}, []).pk)
    assert list(Artifact.objects.filter(task=task).values_list("name", flat=True)) == ["a.txt"]
    assert "Left out b.txt: 4.9 KiB, over the cap of 1000 bytes a file." in task.files_note


def test_the_summary_file_and_summary_lines_make_the_summary(inline, user):
    task = run(user)
    assert task.summary == "## Totals\n\n<b>raw html</b> **3 rows**\n\nDone: **all** good"


def test_a_long_summary_is_cut_at_its_cap_with_a_note(inline, user, settings):
    settings.EXECUTOR_MAX_SUMMARY_BYTES = 20
    task = run(user)
    assert task.summary == "## Totals\n\n<b>raw ht"
    assert "The summary was cut at 20 bytes." in task.files_note


def test_purging_a_run_removes_its_artifacts_and_their_chunks(inline, user):
    from tasks.models import ArtifactChunk

    task = run(user)
    assert ArtifactChunk.objects.filter(artifact__task=task).exists()
    result = services.purge(None, Task.objects.filter(pk=task.pk))
    assert result.runs == 1
    assert not Artifact.objects.exists()
    assert not ArtifactChunk.objects.exists()


def test_directives_are_whole_lines_even_across_reads():
    found = Directives()
    found.feed(Stream.STDOUT, b"x ::artifact no.txt\n::arti")
    found.feed(Stream.STDERR, b"::summary from stderr\n")
    found.feed(Stream.STDOUT, b"fact a/b.txt\r\n::summary\n::artifact last.txt")
    found.close()
    assert found.artifacts == ["a/b.txt", "last.txt"]
    assert found.summary == ["from stderr", ""]
    assert ArtifactKind.OUTPUT == "output"


def test_a_purge_preview_and_the_purge_count_the_files_bytes(inline, user):
    task = run(user)
    queryset = Task.objects.filter(pk=task.pk)
    preview = services.purge(None, queryset, dry_run=True)
    assert preview.artifact_bytes == task.artifact_bytes > 0
    assert services.purge(None, queryset).artifact_bytes == task.artifact_bytes


def test_a_sweep_removes_the_folders_of_runs_that_ended_without_their_supervisor(
    settings, tmp_path, user
):
    settings.EXECUTOR_WORK_ROOT = str(tmp_path)
    ended = make_task(user, status=Status.FAILED)
    running = make_task(user, status=Status.RUNNING)
    for task in (ended, running):
        (tmp_path / f"{folder_prefix(task.pk)}abc").mkdir()
    # Collected and set aside, but not removed yet (its supervisor died in between).
    (tmp_path / f"{folder_prefix(ended.pk)}def{ENDED_SUFFIX}").mkdir()
    (tmp_path / "someone-elses").mkdir()
    (tmp_path / f"{PREFIX}not-a-run").mkdir()
    assert sweep_orphans() == 0  # too young: a run may be starting
    assert sweep_orphans(now=time.time() + 120) == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [f"{folder_prefix(running.pk)}abc", "someone-elses", f"{PREFIX}not-a-run"]
    )


def test_a_run_s_folder_is_named_after_this_deployment_and_the_run(
    inline, settings, tmp_path, user
):
    settings.EXECUTOR_WORK_ROOT = str(tmp_path)
    task = run(user)
    assert os.path.basename(last_json(task)["workdir"]).startswith(folder_prefix(task.pk))


def test_a_sweep_leaves_the_folders_of_another_deployment_on_the_same_machine(
    settings, tmp_path, user
):
    """Two servers on one machine, on two databases, share the temporary folder: a run
    of the other's is no run here, yet its folder is not this one's to remove."""
    settings.EXECUTOR_WORK_ROOT = str(tmp_path)
    ours = tmp_path / f"{folder_prefix(make_task(user, status=Status.FAILED).pk)}abc"
    ours.mkdir()
    other_database = {**connection.settings_dict, "NAME": "/elsewhere/db.sqlite3"}
    with mock.patch.object(connection, "settings_dict", other_database):
        theirs = tmp_path / f"{folder_prefix(uuid.uuid4())}abc"
    assert not theirs.name.startswith(f"{PREFIX}{deployment()}-")
    theirs.mkdir()
    assert sweep_orphans(now=time.time() + 120) == 1
    assert [path.name for path in tmp_path.iterdir()] == [theirs.name]


def test_a_folder_that_could_not_be_removed_is_not_counted(settings, tmp_path, user):
    settings.EXECUTOR_WORK_ROOT = str(tmp_path)
    stuck = tmp_path / f"{folder_prefix(make_task(user, status=Status.FAILED).pk)}abc"
    (stuck / "inputs").mkdir(parents=True)
    (stuck / "inputs" / "data.csv").write_text("a,b\n")
    with undeletable(stuck / "inputs"):
        assert sweep_orphans(now=time.time() + 120) == 0
        assert (stuck / "inputs" / "data.csv").exists()
    assert sweep_orphans(now=time.time() + 120) == 1
    assert not stuck.exists()


@contextlib.contextmanager
def undeletable(folder):
    """A folder whose entries cannot be removed, for real: read-only for a user, and for
    root (whom permissions do not stop) immutable (chattr +i, on ext4, xfs, btrfs)."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)
        return
    chattr = shutil.which("chattr")
    made = chattr and subprocess.run([chattr, "+i", str(folder)], capture_output=True)
    if not made or made.returncode != 0:
        pytest.skip("as root, a folder cannot be made undeletable here (no chattr +i)")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)
