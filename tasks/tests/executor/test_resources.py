"""The peak memory of a run is the script's own, however big the server that runs it."""

import os
import sys
import textwrap

import pytest

from tasks import services
from tasks.catalog import clear_cache
from tasks.executor import resources
from tasks.tests.helpers import wait_finished

pytestmark = pytest.mark.django_db(transaction=True)

MIB = 1024  # KiB

ALLOCATE = """
import sys, time
held = b"x" * (int(sys.argv[1]) * 1024 * 1024)  # written, so resident
time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def allocate_catalog(settings, tmp_path):
    (tmp_path / "allocate.py").write_text(ALLOCATE)
    (tmp_path / "catalog.toml").write_text(
        textwrap.dedent(
            f"""
            [scripts.allocate]
            path = "allocate.py"
            interpreter = "{sys.executable}"
            allow_args = true
            timeout = 60
            """
        )
    )
    settings.EXECUTOR_SCRIPTS = str(tmp_path / "catalog.toml")
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def big_server():
    """This process (the server here) holds 300 MiB while the test runs."""
    ballast = b"s" * (300 * 1024 * 1024)
    assert resources.own_high_water_kb() > 300 * MIB
    yield
    del ballast


def run(user, *args):
    task = services.execute(user, "allocate", {}, [str(arg) for arg in args])
    return wait_finished(task.pk, timeout=60)


def test_a_script_that_allocates_200_mib_reports_200_mib_not_the_servers_300(
    engine, allocate_catalog, big_server, user
):
    task = run(user, 200, 0.5)
    assert task.status == "success"
    # 200 MiB of data plus the interpreter's own few MiB, within 15 %.
    assert 200 * MIB * 0.95 <= task.peak_memory_kb <= 200 * MIB * 1.15


def test_a_small_script_from_a_big_server_reports_a_small_figure(
    engine, allocate_catalog, big_server, user
):
    task = run(user, 0, 0.3)
    assert task.peak_memory_kb < 60 * MIB  # an interpreter, not the server's 300 MiB


def test_a_peak_too_short_to_sample_is_still_seen_when_it_tops_the_servers_mark(
    engine, allocate_catalog, user
):
    # No sleep: the peak may fall between samples, and wait4's figure covers it because
    # it is larger than anything the (small) server itself held.
    inherited = resources.own_high_water_kb()
    size = inherited // MIB + 100
    task = run(user, size, 0)
    assert size * MIB * 0.95 <= task.peak_memory_kb <= size * MIB * 1.15


def test_the_tree_holds_the_process_and_its_descendants():
    pid = os.getpid()
    assert resources.tree(pid)[0] == pid
    assert resources.status_kb(pid, ("VmRSS",))["VmRSS"] > 0
    assert resources.status_kb(2**22 + 7, ("VmRSS",)) == {}  # no such process


def test_a_wait4_figure_just_above_the_servers_mark_is_the_servers():
    """The kernel's per-CPU page counts make wait4's figure and the server's mark differ
    by a few pages: a figure within that slack of the mark is the server's, not the
    script's (a 0 MiB script was once reported as its 720 MB server)."""
    sampler = resources.TreeSampler(os.getpid(), inherited_kb=720 * MIB)
    sampler.peak_kb = 9 * MIB
    assert sampler.peak(720 * MIB + 300) == 9 * MIB
    assert sampler.peak(800 * MIB) == 800 * MIB
