"""32 output-heavy runs at once on SQLite: no "database is locked", every log complete.

    .venv/bin/python bench/concurrent_runs.py [--runs 32] [--lines 50000]

Each run prints --lines lines of 41 bytes as fast as Python can. All runs start at once
(EXECUTOR_MAX_WORKERS = --runs). Counts every database error the engine logged, checks
each stored log byte for byte, and prints the aggregate throughput against one run alone.
"""

import argparse
import logging
import time

from common import bench_user, setup, wait_finished


class ErrorCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(self.format(record))


def expected_output(lines):
    return b"".join(f"line {n:09d} of the benchmark output..\n".encode() for n in range(lines))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=32)
    parser.add_argument("--lines", type=int, default=50_000)
    options = parser.parse_args()
    setup(
        EXECUTOR_BACKEND="thread", EXECUTOR_MAX_WORKERS=options.runs, EXECUTOR_MAX_LOG_BYTES="64M"
    )
    from tasks import services
    from tasks.executor.backends import get_backend
    from tasks.models import LogChunk

    counter = ErrorCounter()
    logging.getLogger("tasks").addHandler(counter)
    logging.getLogger("django.db").addHandler(counter)
    user = bench_user()
    backend = get_backend()
    backend.start()
    expected = expected_output(options.lines)

    started = time.perf_counter()
    single = wait_finished(services.execute(user, "heavy", {"lines": options.lines}).pk)
    alone = time.perf_counter() - started

    started = time.perf_counter()
    ids = [
        services.execute(user, "heavy", {"lines": options.lines}).pk for _ in range(options.runs)
    ]
    tasks = [wait_finished(pk) for pk in ids]
    together = time.perf_counter() - started
    backend.shutdown()

    complete = 0
    for task in [single, *tasks]:
        stored = b"".join(
            bytes(data)
            for data in LogChunk.objects.filter(task=task)
            .order_by("offset")
            .values_list("data", flat=True)
        )
        complete += (
            task.status == "success" and task.log_bytes == len(expected) and stored == expected
        )
    locked = [line for line in counter.records if "locked" in line]
    total_mb = len(expected) * options.runs / 1e6
    print(
        f"runs: {options.runs} at once, {options.lines:,} lines ({len(expected) / 1e6:.1f} MB) each"
    )
    print(
        f"one run alone: {alone * 1000:.0f} ms;  {options.runs} together: {together * 1000:.0f} ms"
    )
    per_run = together / alone / options.runs
    print(f"aggregate: {total_mb / together:.1f} MB/s stored ({per_run:.2f}x one alone, per run)")
    print(f"complete logs: {complete}/{options.runs + 1}")
    others = len(counter.records) - len(locked)
    print(f'"database is locked" errors: {len(locked)};  other engine warnings: {others}')
    for line in counter.records[:5]:
        print("  ", line)


if __name__ == "__main__":
    main()
