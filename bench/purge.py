"""Purging 100,000 runs with their logs: throughput, memory, and whether the site keeps
answering while it runs.

    .venv/bin/python bench/purge.py [--runs 100000] [--log-bytes 2048] [--baseline 10000]

Builds a throwaway SQLite database (WAL, the settings a server uses) under var/bench/,
then measures, in this one run:

- the baseline: Django's plain `queryset.delete()` of `--baseline` runs in one
  transaction, which is what the admin's stock "delete selected" would do;
- services.purge over `--runs` runs, in its short batches.

While each runs, a probe thread plays the rest of the site: every 10 ms a supervisor's
heartbeat (a one-row write transaction) and a history read. The longest wait of each is
the longest time the site stopped answering. Then, separately (tracing slows Python
down, so it stays out of the timed part), the peak of Python's traced memory while
purging 2,000 and 20,000 runs, against `queryset.delete()` of 20,000. Numbers, not
pass/fail: record them in docs/benchmarks.md.
"""

import argparse
import gc
import os
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--log-bytes", type=int, default=2048, help="log size of each run")
    parser.add_argument("--baseline", type=int, default=10_000, help="runs deleted at once")
    parser.add_argument(
        "--batch-runs", type=int, default=None, help="runs per batch (default: purging's)"
    )
    return parser.parse_args()


def setup_django(folder):
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "executor_site.settings")
    os.environ.setdefault("DJANGO_TESTING", "1")  # a throwaway secret key is fine here
    os.environ["EXECUTOR_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(script, count, log_bytes, user):
    """`count` finished runs of `script`, a month old, each with a log of `log_bytes`."""
    from django.db import transaction
    from django.utils import timezone

    from tasks.models import LogChunk, Status, Stream, Task

    now = timezone.now() - timedelta(days=30)
    line = b"x" * 79 + b"\n"
    data = line * (log_bytes // len(line)) + b"y" * (log_bytes % len(line))
    for start in range(0, count, 5000):
        size = min(5000, count - start)
        with transaction.atomic():
            rows = [
                Task(
                    script=script,
                    script_path=f"{script}.py",
                    interpreter=sys.executable,
                    argv=[sys.executable, f"{script}.py", "--day", str(number)],
                    timeout=60,
                    user=user,
                    user_name=user.username,
                    status=Status.SUCCESS if number % 10 else Status.FAILED,
                    created_at=now - timedelta(seconds=number),
                    started_at=now - timedelta(seconds=number),
                    completed_at=now - timedelta(seconds=number) + timedelta(seconds=2),
                    return_code=0 if number % 10 else 1,
                    end_reason="exit",
                    log_bytes=log_bytes,
                    stdout_tail=data[-2000:].decode(),
                )
                for number in range(start, start + size)
            ]
            Task.objects.bulk_create(rows)
            LogChunk.objects.bulk_create(
                LogChunk(task=row, offset=0, stream=Stream.STDOUT, data=data) for row in rows
            )


class Probe(threading.Thread):
    """The rest of the site: a heartbeat write and a history read every 10 ms."""

    def __init__(self, running_pk):
        super().__init__(name="probe", daemon=True)
        self.running_pk = running_pk
        self.stop = threading.Event()
        self.longest_write = self.longest_read = 0.0
        self.writes = 0

    def run(self):
        from django.db import connection, transaction
        from django.utils import timezone

        from tasks.models import Task

        try:
            while not self.stop.wait(0.01):
                started = time.monotonic()
                with transaction.atomic():
                    Task.objects.filter(pk=self.running_pk).update(heartbeat_at=timezone.now())
                wrote = time.monotonic()
                list(Task.objects.order_by("-created_at").values_list("pk", "status")[:50])
                read = time.monotonic()
                self.longest_write = max(self.longest_write, wrote - started)
                self.longest_read = max(self.longest_read, read - wrote)
                self.writes += 1
        finally:
            connection.close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.join()


def traced_peak(work):
    """Peak MiB of Python allocations while `work` runs, above where it started."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def measure(label, work, running_pk):
    gc.collect()
    with Probe(running_pk) as probe:
        time.sleep(0.2)  # the probe's own pace before the work starts
        started = time.monotonic()
        outcome = work()
        elapsed = time.monotonic() - started
    return {
        "label": label,
        "elapsed": elapsed,
        "outcome": outcome,
        "longest_write": probe.longest_write,
        "longest_read": probe.longest_read,
        "probe_writes": probe.writes,
    }


def main():
    options = parse()
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        setup_django(Path(tmp))
        from django.contrib.auth.models import User
        from django.db import transaction

        from tasks import services
        from tasks.history import purging
        from tasks.models import LogChunk, Status, Task
        from tasks.tests.factories import make_task

        user = User.objects.create_user("bench")
        print(
            f"Filling: {options.runs:,} runs + {options.baseline:,} for the baseline, "
            f"{options.log_bytes:,} bytes of log each ...",
            flush=True,
        )
        started = time.monotonic()
        fill("bench", options.runs, options.log_bytes, user)
        fill("baseline", options.baseline, options.log_bytes, user)
        running = make_task(user, script="live", status=Status.RUNNING)
        size = Path(tmp, "bench.sqlite3").stat().st_size
        print(f"  {time.monotonic() - started:.1f} s; database {size / 2**20:,.0f} MiB")

        idle = measure("idle (no purge)", lambda: time.sleep(2), running.pk)

        def one_transaction():
            with transaction.atomic():
                return Task.objects.filter(script="baseline").delete()[0]

        naive = measure(
            f"baseline: queryset.delete() of {options.baseline:,} runs", one_transaction, running.pk
        )
        naive["transaction"] = naive["elapsed"]
        naive["runs"] = options.baseline

        batch_times = []
        delete_batch = purging._delete_batch

        def timed_batch(pks, result, on_batch=None):
            deleted, took = delete_batch(pks, result, on_batch)
            batch_times.append(took)
            return deleted, took

        def batched():
            batching = {"batch_runs": options.batch_runs} if options.batch_runs else {}
            purging._delete_batch = timed_batch
            try:
                return services.purge(None, Task.objects.filter(script="bench"), **batching)
            finally:
                purging._delete_batch = delete_batch

        purge = measure(f"services.purge of {options.runs:,} runs", batched, running.pk)
        result = purge["outcome"]
        purge["transaction"] = result.longest_transaction
        purge["runs"] = result.runs
        assert result.runs == options.runs, result
        assert not LogChunk.objects.filter(task__script="bench").exists()
        assert Task.objects.filter(pk=running.pk, status=Status.RUNNING).exists()

        print("Memory: filling 42,000 more runs ...", flush=True)
        memory = {}
        doomed = Task.objects.filter(script="memory")
        ways = {
            "services.purge": lambda: services.purge(None, doomed),
            "queryset.delete()": lambda: doomed.delete(),
        }
        for label, count in (
            ("services.purge", 2_000),
            ("services.purge", 20_000),
            ("queryset.delete()", 20_000),
        ):
            fill("memory", count, options.log_bytes, user)
            memory[label, count] = traced_peak(ways[label])
            assert not Task.objects.filter(script="memory").exists()

    print()
    header = (
        f"{'':48} {'runs/s':>9} {'longest write tx':>17} {'site write wait':>16} "
        f"{'site read wait':>15}"
    )
    print(header)
    for row in (idle, naive, purge):
        rate = f"{row['runs'] / row['elapsed']:,.0f}" if "runs" in row else "—"
        tx = f"{row['transaction'] * 1000:,.0f} ms" if "transaction" in row else "—"
        print(
            f"{row['label']:48} {rate:>9} {tx:>17} {row['longest_write'] * 1000:>13,.0f} ms "
            f"{row['longest_read'] * 1000:>12,.0f} ms"
        )
    print()
    print("Peak traced Python memory while deleting:")
    for (label, count), peak in memory.items():
        print(f"  {label:18} {count:>7,} runs: {peak:7.1f} MiB")
    print()
    batch_times.sort()
    print(
        f"services.purge: {result.batches:,} batches, {result.runs:,} runs and "
        f"{result.log_bytes / 2**20:,.0f} MiB of logs in {purge['elapsed']:.1f} s; write "
        f"transactions: median {batch_times[len(batch_times) // 2] * 1000:.0f} ms, "
        f"95th percentile {batch_times[len(batch_times) * 95 // 100] * 1000:.0f} ms, "
        f"longest {batch_times[-1] * 1000:.0f} ms"
    )
    print(
        "Ratios against the baseline measured above: "
        f"throughput {purge['runs'] / purge['elapsed'] / (naive['runs'] / naive['elapsed']):.2f}x, "
        f"longest write transaction {purge['transaction'] / naive['transaction']:.3f}x "
        f"(for {options.runs // options.baseline}x the runs), "
        f"longest site write wait {purge['longest_write'] / naive['longest_write']:.3f}x, "
        "peak memory for 20,000 runs "
        f"{memory['services.purge', 20_000] / memory['queryset.delete()', 20_000]:.3f}x"
    )


if __name__ == "__main__":
    main()
