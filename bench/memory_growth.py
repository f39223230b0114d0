"""Does the server's memory grow run after run? Ten million-line runs through the engine.

    .venv/bin/python bench/memory_growth.py [--runs 10] [--lines 1000000]

Runs the thread pool in a fresh process once with DJANGO_DEBUG=1 (what bin/serve writes
into .env, and where Django logs every query) and once with DJANGO_DEBUG=0, and prints
that process's resident memory (VmRSS, after a garbage collection) after each run.
Baseline: the memory after the first run, in the same process. Target: after the tenth
within 30 MB of it, debug on or off.
"""

import argparse
import gc
import os
import subprocess
import sys

from common import bench_user, rss_mib, setup, wait_finished


def measure(options):
    setup(EXECUTOR_BACKEND="thread", EXECUTOR_MAX_WORKERS=1, EXECUTOR_MAX_LOG_BYTES="256M")
    from tasks import services
    from tasks.executor.backends import get_backend

    user = bench_user()
    backend = get_backend()
    backend.start()
    start = rss_mib()
    after = []
    for _ in range(options.runs):
        task = wait_finished(services.execute(user, "million_lines", {"lines": options.lines}).pk)
        assert task.status == "success", task.error
        gc.collect()
        after.append(rss_mib())
    backend.shutdown()
    growth = after[-1] - after[0]
    print(
        f"DJANGO_DEBUG={os.environ['DJANGO_DEBUG']}: RSS before {start:.0f} MiB, after each run "
        + " ".join(f"{value:.0f}" for value in after)
        + f"; tenth - first: {growth:+.1f} MiB ({'within' if growth <= 30 else 'OVER'} 30 MB)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        measure(options)
        return
    print(f"{options.runs} runs of {options.lines:,} lines each; baseline: RSS after the first")
    for debug in ("1", "0"):
        env = {**os.environ, "DJANGO_DEBUG": debug, "EXECUTOR_LOG_LEVEL": "WARNING"}
        argv = [sys.executable, __file__, "--child", "--runs", str(options.runs)]
        subprocess.run([*argv, "--lines", str(options.lines)], env=env, check=True)


if __name__ == "__main__":
    main()
