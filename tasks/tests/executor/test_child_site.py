"""Live output without PYTHONUNBUFFERED: the child_site sitecustomize flushes Python's
buffers on a timer, so output arrives live while the script keeps its buffered speed."""

import sys
import textwrap

import pytest

from tasks import services
from tasks.catalog import clear_cache
from tasks.history import logs
from tasks.models import Status, Task
from tasks.tests.helpers import wait_finished, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPTS = {
    "print_then_wait.py": """
        import time
        print("before the wait")
        time.sleep(3)
        print("after the wait")
    """,
    "print_then_exit.py": """
        import os
        for number in range(1000):
            print(f"line {number}")
        os._exit(3)
    """,
    "mixed_writes.py": """
        import os, sys
        for number in range(2000):
            print(f"print {number}")
            os.write(1, f"raw {number}\\n".encode())
            print(f"err {number}", file=sys.stderr)
    """,
    "shows_env.py": """
        import os
        print(os.environ.get("PYTHONUNBUFFERED", "-"), os.environ.get("CHAINED", "-"))
    """,
    "shell.sh": """
        echo from a shell
        sleep 0.2
        echo still here
    """,
}


@pytest.fixture
def catalog(settings, tmp_path):
    for name, text in SCRIPTS.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    entries = [
        f'[scripts.{name.split(".")[0]}]\npath = "{name}"\ninterpreter = "{sys.executable}"\n'
        for name in SCRIPTS
        if name.endswith(".py")
    ]
    entries.append('[scripts.shell]\npath = "shell.sh"\ninterpreter = "/bin/sh"\n')
    entries.append(
        f'[scripts.unbuffered]\npath = "shows_env.py"\ninterpreter = "{sys.executable}"\n'
        "unbuffered = true\n"
    )
    (tmp_path / "catalog.toml").write_text("\n".join(entries))
    settings.EXECUTOR_SCRIPTS = str(tmp_path / "catalog.toml")
    clear_cache()
    yield tmp_path
    clear_cache()


def test_a_line_printed_before_a_wait_is_shown_during_the_wait(engine, catalog, user):
    task = services.execute(user, "print_then_wait", {}, [])
    wait_for(lambda: "before the wait" in logs.read(task.pk).text, timeout=2, message="line 1")
    assert Task.objects.get(pk=task.pk).status == Status.RUNNING
    assert wait_finished(task.pk).status == Status.SUCCESS


def test_output_printed_right_before_os_exit_is_kept(inline, catalog, user):
    task = wait_finished(services.execute(user, "print_then_exit", {}, []).pk)
    assert task.return_code == 3
    assert logs.read(task.pk).text == "".join(f"line {number}\n" for number in range(1000))


def test_raw_writes_prints_and_stderr_all_arrive_as_whole_lines(inline, catalog, user):
    task = wait_finished(services.execute(user, "mixed_writes", {}, []).pk)
    lines = logs.read(task.pk).text.splitlines()
    expected = {f"{kind} {number}" for kind in ("print", "raw", "err") for number in range(2000)}
    assert sorted(lines) == sorted(expected)  # every line whole, none lost or merged


def test_a_non_python_script_runs_as_before(inline, catalog, user):
    task = wait_finished(services.execute(user, "shell", {}, []).pk)
    assert (task.status, logs.read(task.pk).text) == (Status.SUCCESS, "from a shell\nstill here\n")


def test_a_catalog_entry_can_still_ask_for_unbuffered_output(inline, catalog, user):
    task = wait_finished(services.execute(user, "unbuffered", {}, []).pk)
    assert logs.read(task.pk).text.split()[0] == "1"


def test_a_sitecustomize_of_the_scripts_own_path_still_runs(inline, catalog, user, settings):
    site = catalog / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import os\nos.environ['CHAINED'] = 'yes'\n")
    settings.EXECUTOR_CHILD_ENV = ["PYTHONPATH"]
    import os

    os.environ["PYTHONPATH"] = str(site)
    try:
        task = wait_finished(services.execute(user, "shows_env", {}, []).pk)
    finally:
        del os.environ["PYTHONPATH"]
    assert logs.read(task.pk).text.split() == ["-", "yes"]


BLOCKS = """
    import sys
    for part in range(2):
        for number in range(1500):  # 60,000 bytes: under one 64 KiB block
            print(f"{number:039d}")
        sys.stderr.write("printed\\n")
        sys.stdin.readline()
"""


def test_a_flood_reaches_the_pipe_in_64_kib_blocks_not_python_s_8_kib(tmp_path):
    """Fewer, larger writes: the engine wakes an eighth as often during a flood."""
    import os
    import select
    import subprocess

    from tasks.executor.environment import child_environment

    (tmp_path / "blocks.py").write_text(textwrap.dedent(BLOCKS))
    env = {**child_environment(), "EXECUTOR_FLUSH_EVERY": "600"}  # no timed flush here
    with subprocess.Popen(
        [sys.executable, str(tmp_path / "blocks.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as proc:
        out = proc.stdout.fileno()
        assert proc.stderr.readline() == b"printed\n"
        # 8 KiB blocks would have put 57,344 of the 60,000 bytes in the pipe by now.
        assert select.select([out], [], [], 0.5)[0] == []
        proc.stdin.write(b"\n")
        proc.stdin.flush()
        assert proc.stderr.readline() == b"printed\n"
        assert select.select([out], [], [], 5)[0] == [out]
        assert len(os.read(out, 1 << 20)) > 60_000  # the first part and more, in one block
        proc.stdin.write(b"\n")
        proc.stdin.flush()
        rest = proc.stdout.read()
        assert proc.wait(timeout=10) == 0
        assert len(rest) < 64 * 1024  # the end's flush: what was left
