"""A script printing 1,000,000 lines through the engine, over the same script writing to a file.

    .venv/bin/python bench/output_throughput.py [--lines 1000000]

Baseline: the script as a user runs it without us, its stdout redirected straight to a file
with Python's default (block) buffering. Also reported: the same script unbuffered into a
file (PYTHONUNBUFFERED=1, what the engine forced before issue 10). The engine runs it with
block buffering and its timed flusher (tasks/executor/child_site).
Engine: the thread pool, log cap raised above the output's size; started -> completed
from the row. Checks that the stored log equals the output byte for byte, and how much
the server process's memory grew (peak RSS). Target: at most 1.25x, under 64 MiB.
"""

import argparse
import os
import resource
import statistics
import subprocess
import tempfile
import time

from common import bench_user, setup, wait_finished


def rss_mib():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def to_file(argv, env, path):
    with open(path, "wb") as handle:
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=handle, stderr=subprocess.DEVNULL, check=True)
        return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    setup(
        EXECUTOR_BACKEND="thread",
        EXECUTOR_MAX_WORKERS=1,
        EXECUTOR_MAX_LOG_BYTES="256M",
    )
    from tasks import services
    from tasks.catalog import get_catalog
    from tasks.executor.backends import get_backend
    from tasks.executor.environment import child_environment
    from tasks.models import LogChunk

    user = bench_user()
    entry = get_catalog().get("million_lines")
    script_args, _ = entry.command({"lines": options.lines}, [])
    argv = entry.argv(script_args)
    unbuffered_env = child_environment(unbuffered=True)
    buffered_env = child_environment(live_output=False)  # no flusher, no PYTHONUNBUFFERED
    scratch = tempfile.mkdtemp(prefix="executor-bench-out-")
    expected_path = os.path.join(scratch, "expected.txt")

    backend = get_backend()
    backend.start()
    rss_before = rss_mib()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def through_engine(script):
        task = wait_finished(services.execute(user, script, {"lines": options.lines}).pk)
        assert task.status == "success", (task.status, task.error)
        return task, (task.completed_at - task.started_at).total_seconds()

    unbuffered, buffered, engine, engine_buffered = [], [], [], []
    for _ in range(options.rounds):
        unbuffered.append(to_file(argv, unbuffered_env, expected_path))
        buffered.append(to_file(argv, buffered_env, os.path.join(scratch, "buffered.txt")))
        task, seconds = through_engine("million_lines")
        engine.append(seconds)
        engine_buffered.append(through_engine("million_lines_buffered")[1])
    backend.shutdown()
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    stored = b"".join(
        bytes(data)
        for data in LogChunk.objects.filter(task=task)
        .order_by("offset")
        .values_list("data", flat=True)
    )
    with open(expected_path, "rb") as handle:
        expected = handle.read()
    chunks = LogChunk.objects.filter(task=task).count()

    base, base_buffered, eng, eng_buffered = (
        statistics.median(x) for x in (unbuffered, buffered, engine, engine_buffered)
    )
    print(f"lines: {options.lines:,}  bytes: {len(expected):,}  rounds: {options.rounds}")
    print("baseline: the script -> a file, Python's default buffering (as without us)")
    print(f"script -> file, default buffering (baseline) {base_buffered * 1000:8.0f} ms")
    print(f"script -> file, unbuffered                   {base * 1000:8.0f} ms")
    print(f"engine started -> completed                  {eng * 1000:8.0f} ms  ({chunks} chunks)")
    print(f"ratio engine / buffered file: {eng / base_buffered:.3f}x   (target <= 1.25x)")
    print(f"ratio engine / unbuffered file: {eng / base:.3f}x")
    print(
        f"engine with live_output = false: {eng_buffered * 1000:.0f} ms, "
        f"{eng_buffered / base_buffered:.3f}x the buffered file"
    )
    print(f"stored log equals the output byte for byte: {stored == expected}")
    print(
        f"server memory: RSS {rss_before:.0f} -> {rss_mib():.0f} MiB; "
        f"peak RSS grew {peak_after - peak_before:.1f} MiB (target < 64 MiB)"
    )


if __name__ == "__main__":
    main()
