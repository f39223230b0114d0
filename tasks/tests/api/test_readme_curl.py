"""The README's curl example of following a run live, run as the README writes it.

The fenced blocks after `<!-- tested: NAME -->` in README.md are read from the file, so
the example cannot drift from what is tested; real bash, curl and jq run them against
uvicorn (the README's server for live pages) in a process of its own, with the real
catalog and the thread pool. PYTHONUNBUFFERED is left out of the server's environment
(servers_stop.Server), so the script's output is live only if the engine makes it so.
"""

import os
import re
import signal
import subprocess
import threading
import time

import pytest
from rest_framework.authtoken.models import Token

from tasks.models import Status, Task
from tasks.tests.requirements import require_commands
from tasks.tests.servers_stop import ROOT, Server

BLOCK = re.compile(r"<!-- tested: (\w+) -->\n```sh\n(.*?)\n```", re.DOTALL)
STEP_DELAY = 0.5  # what the README's start block asks the sample script for
WHOLE_RUN = 60  # seconds the bash script may take at most


def readme_blocks():
    return dict(BLOCK.findall((ROOT / "README.md").read_text()))


@pytest.fixture
def server(tmp_path):
    require_commands("curl", "bash", "curl", "jq")
    catalog = ROOT / "scripts" / "catalog.toml"
    started = Server("uvicorn", tmp_path / "server.log", EXECUTOR_SCRIPTS=str(catalog))
    yield started
    started.stop()


def test_the_readme_names_the_blocks_this_test_runs():
    blocks = readme_blocks()
    assert set(blocks) == {"start", "stream", "poll"}
    assert f'"delay": {STEP_DELAY}' in blocks["start"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the server is another process
@pytest.mark.parametrize("follow", ["stream", "poll"])
def test_the_readme_example_prints_the_runs_lines_while_it_runs(server, user, follow):
    blocks = readme_blocks()
    token, _ = Token.objects.get_or_create(user=user)
    environment = {"PATH": os.environ["PATH"], "TOKEN": token.key, "BASE_URL": server.base}
    script = "set -euo pipefail\n" + blocks["start"] + "\n" + blocks[follow] + "\n"
    with subprocess.Popen(
        ["bash", "-c", script],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as shell:
        arrivals, status_at_first_step, stderr = _follow(shell)
    lines = [text for _, text in arrivals]
    assert shell.returncode == 0, f"bash exited {shell.returncode}: {stderr}\n{lines}"
    steps = [text for text in lines if re.match(r"\[\d+/10\] ", text)]
    assert [text.split()[0] for text in steps] == [f"[{n}/10]" for n in range(1, 11)]
    assert lines[0].endswith("Starting sample script")
    expected_end = ["Done!", "success"] if follow == "stream" else ["Done!"]
    assert lines[-len(expected_end) :] == expected_end
    assert status_at_first_step == Status.RUNNING
    first_step = next(at for at, text in arrivals if text.startswith("[1/10]"))
    done = next(at for at, text in arrivals if text == "Done!")
    # Nine more steps, each STEP_DELAY apart, lie between them when the lines are live.
    assert done - first_step > 9 * STEP_DELAY * 0.6, arrivals
    assert Task.objects.get().status == Status.SUCCESS


def _follow(shell):
    """Each line of the shell's output with its arrival time, the run's status when its
    first step's line arrived, and the shell's stderr; the shell is killed if it takes
    longer than WHOLE_RUN."""
    watchdog = threading.Timer(WHOLE_RUN, os.killpg, (shell.pid, signal.SIGKILL))
    watchdog.start()
    arrivals = []
    status_at_first_step = None
    try:
        for line in shell.stdout:
            arrivals.append((time.monotonic(), line.rstrip("\n")))
            if line.startswith("[1/10]"):
                # The run's row, read as this line arrives: the script must still be at it.
                status_at_first_step = Task.objects.get().status
        stderr = shell.stderr.read()
        shell.wait(10)
    finally:
        watchdog.cancel()
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGKILL)
            shell.wait(10)
    return arrivals, status_at_first_step, stderr
