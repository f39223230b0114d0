"""A script printing 1,000,000 lines through the engine, over the same script writing to a file.

    .venv/bin/python bench/output_throughput.py [--lines 1000000] [--rounds 3]
        [--variants print/stdout,write/stdout,print/both,write/both]
    .venv/bin/python bench/output_throughput.py --viewers [--server runserver]

Variants: `print()` or `sys.stdout.write` per line, on stdout alone or alternating lines
of stdout and stderr (bench/scripts/million_lines.py).

Baseline: the script as a user runs it without us, its output redirected straight to a file
(`> file 2>&1`) with Python's default buffering (block buffering for stdout; stderr is
line-buffered whatever it writes to). Also reported: the same script unbuffered into a
file (PYTHONUNBUFFERED=1, what the engine forced before issue 10). The engine runs it with
block buffering and its timed flusher (tasks/executor/child_site). Engine: the thread
pool in this process, log cap raised above the output's size; started -> completed from
the row. Checks that each stream's stored log equals what the script wrote, byte for byte,
and how much this process's memory grew (peak RSS). Target: at most 1.25x, under 64 MiB.

With --viewers: the same runs through a real server (bench/server.py), once with nobody
watching (the baseline of that part), once with one Chromium page on the run's page
following the live log, once with 50 Server-Sent-Events clients reading the whole stream
(bench/viewers.py). Targets: 1.10x and 1.50x of nobody watching.
"""

import argparse
import os
import resource
import statistics
import subprocess
import tempfile
import time

from common import bench_user, rss_mib, setup, wait_finished

VARIANTS = ("print/stdout", "write/stdout", "print/both", "write/both")


def to_file(argv, env, path):
    with open(path, "wb") as handle:
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=handle, stderr=subprocess.STDOUT, check=True)
        return time.perf_counter() - started


def expected_streams(lines, how, stream):
    """What bench/scripts/million_lines.py writes to each stream."""
    del how  # print() and write() write the same bytes
    out, err = [], []
    for number in range(lines):
        line = f"line {number:09d} of the benchmark output..\n"
        (err if stream == "both" and number % 2 else out).append(line)
    return "".join(out).encode(), "".join(err).encode()


def stored_streams(task):
    from tasks.models import LogChunk

    parts = {"out": [], "err": []}
    for stream, data in (
        LogChunk.objects.filter(task=task).order_by("offset").values_list("stream", "data")
    ):
        parts[stream].append(bytes(data))
    return b"".join(parts["out"]), b"".join(parts["err"])


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--viewers", action="store_true", help="the viewer part instead")
    parser.add_argument("--server", choices=["runserver", "uvicorn"], default="runserver")
    parser.add_argument("--sse", type=int, default=50, help="stream viewers (with --viewers)")
    options = parser.parse_args()
    options.variants = [name.strip() for name in options.variants.split(",") if name.strip()]
    for name in options.variants:
        if name not in VARIANTS:
            parser.error(f"unknown variant {name!r}: use {', '.join(VARIANTS)}")
    return options


def main():
    options = parse()
    if options.viewers:
        import viewers

        viewers.main(options)
        return
    setup(
        EXECUTOR_BACKEND="thread",
        EXECUTOR_MAX_WORKERS=1,
        EXECUTOR_MAX_LOG_BYTES="256M",
    )
    from tasks import services
    from tasks.catalog import get_catalog
    from tasks.executor.backends import get_backend
    from tasks.executor.environment import child_environment

    user = bench_user()
    entry = get_catalog().get("million_lines")
    unbuffered_env = child_environment(unbuffered=True)
    buffered_env = child_environment(live_output=False)  # no flusher, no PYTHONUNBUFFERED
    scratch = tempfile.mkdtemp(prefix="executor-bench-out-")

    backend = get_backend()
    backend.start()
    rss_before = rss_mib()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"lines: {options.lines:,}  rounds: {options.rounds}  (medians)")
    print(
        "baseline: the script > file 2>&1, Python's default buffering (as without us); "
        "also the script unbuffered (PYTHONUNBUFFERED=1) into a file"
    )
    print(
        f"{'variant':13s} {'buffered':>9s} {'unbuffered':>11s} {'engine':>8s} "
        f"{'eng/buffered':>13s} {'eng/unbuffered':>15s}  {'range eng/buffered':>19s}  bytes equal"
    )
    ratios, last_runs = {}, {}
    for variant in options.variants:
        how, stream = variant.split("/")
        params = {"lines": options.lines, "how": how, "stream": stream}
        argv = entry.argv(entry.command(params, [])[0])
        buffered, unbuffered, engine = [], [], []
        for _ in range(options.rounds):
            buffered.append(to_file(argv, buffered_env, os.path.join(scratch, "out.txt")))
            unbuffered.append(to_file(argv, unbuffered_env, os.path.join(scratch, "out.txt")))
            task = wait_finished(services.execute(user, "million_lines", params).pk)
            assert task.status == "success", (task.status, task.error)
            engine.append((task.completed_at - task.started_at).total_seconds())
        last_runs[variant] = task
        per_round = [e / b for e, b in zip(engine, buffered, strict=True)]
        base, unbuf, eng = (statistics.median(x) for x in (buffered, unbuffered, engine))
        ratios[variant] = eng / base
        print(
            f"{variant:13s} {base * 1000:7.0f}ms {unbuf * 1000:9.0f}ms {eng * 1000:6.0f}ms "
            f"{eng / base:12.3f}x {eng / unbuf:14.3f}x  "
            f"{min(per_round):8.3f}-{max(per_round):.3f}x"
        )
    backend.shutdown()
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Compared after the peak was read: the expected output is built in this process.
    for variant, task in last_runs.items():
        how, stream = variant.split("/")
        equal = stored_streams(task) == expected_streams(options.lines, how, stream)
        print(f"{variant}: each stream's stored log equals the output byte for byte: {equal}")
    worst = max(ratios.values())
    print(f"worst engine / buffered file: {worst:.3f}x   (target <= 1.25x)")
    print(
        f"server memory: RSS {rss_before:.0f} -> {rss_mib():.0f} MiB; "
        f"peak RSS grew {peak_after - peak_before:.1f} MiB (target < 64 MiB)"
    )


if __name__ == "__main__":
    main()
