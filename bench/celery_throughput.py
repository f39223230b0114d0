"""Celery workers against the thread backend on the same machine: throughput and latency.

    .venv/bin/python bench/celery_throughput.py [--tasks 200] [--latency-runs 20]
        [--postgres postgres://postgres@127.0.0.1:5432] [--broker redis://127.0.0.1:6379]

Both backends run the same trivial script (bench/scripts/trivial.py, one line of output)
against the same throwaway PostgreSQL database, with the same number of run slots:

- thread (the baseline): this process's pool with 8 threads;
- celery: two `celery -A executor_site worker` processes with 4 threads each, this
  process only submitting (as the web server does), the broker in a namespace of its own
  (a Redis database index, or a RabbitMQ vhost with --broker amqp://...).

For each it measures:

- throughput: `--tasks` runs submitted at once; runs per second from the first one's
  created_at to the last one's completed_at (the database's own timestamps), and how
  fast this process submitted them (the web side's share of the work);
- latency: `--latency-runs` runs one after the other on idle workers; created_at ->
  completed_at of each, median and 90th percentile.

Numbers, not pass/fail: the ratios are printed last; record them in docs/benchmarks.md.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from common import BENCH_CATALOG, bench_user, percentile, setup

SLOTS = 8


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--latency-runs", type=int, default=20)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379")
    return parser.parse_args()


def make_database(server):
    import psycopg

    name = f"executor_bench_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(server, name):
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_all_finished(ids, timeout=600):
    from tasks.models import Task

    deadline = time.monotonic() + timeout
    while Task.objects.filter(pk__in=ids).finished().count() < len(ids):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {len(ids)} runs did not finish in {timeout} s")
        time.sleep(0.01)


def measure(user, tasks, latency_runs):
    from django.db.models import Max, Min

    from tasks import services
    from tasks.models import Status, Task

    # Warm-up: interpreters, connections, the catalog cache.
    wait_all_finished([services.execute(user, "trivial").pk for _ in range(SLOTS)])

    started = time.perf_counter()
    ids = [services.execute(user, "trivial").pk for _ in range(tasks)]
    submitting = time.perf_counter() - started
    wait_all_finished(ids)
    batch = Task.objects.filter(pk__in=ids)
    assert set(batch.values_list("status", flat=True)) == {Status.SUCCESS}
    span = batch.aggregate(first=Min("created_at"), last=Max("completed_at"))
    throughput = tasks / (span["last"] - span["first"]).total_seconds()

    latencies = []
    for _ in range(latency_runs):
        task = services.execute(user, "trivial")
        wait_all_finished([task.pk])
        task.refresh_from_db()
        latencies.append((task.completed_at - task.created_at).total_seconds() * 1000)
    return throughput, tasks / submitting, statistics.median(latencies), percentile(latencies, 0.9)


def main():
    options = parse()
    database = make_database(options.postgres)
    try:
        setup(
            f"{options.postgres}/{database}",
            EXECUTOR_MAX_WORKERS=SLOTS,
            EXECUTOR_LOG_LEVEL="WARNING",
        )
        run(options, Path(tempfile.mkdtemp(prefix="executor-bench-")))
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(options.postgres, database)


def run(options, folder):
    from django.test import override_settings

    from tasks.executor.backends import reset_backend
    from tasks.tests.celery.cluster import Workers, rabbitmq_vhost, redis_namespace
    from tasks.tests.helpers import database_url

    user = bench_user()
    results = {}
    print(f"{options.tasks} runs at once, then {options.latency_runs} one by one, {SLOTS} slots")

    with override_settings(EXECUTOR_BACKEND="thread", EXECUTOR_MAX_WORKERS=SLOTS):
        results["thread"] = measure(user, options.tasks, options.latency_runs)
        reset_backend()
    print_row("thread", results["thread"])

    namespace = rabbitmq_vhost if options.broker.startswith("amqp") else redis_namespace
    with namespace(options.broker) as broker:
        workers = Workers(broker, database_url(), BENCH_CATALOG, folder)
        try:
            workers.start_all(
                {"name": "bench1", "concurrency": SLOTS // 2},
                {"name": "bench2", "concurrency": SLOTS // 2},
            )
            with override_settings(EXECUTOR_BACKEND="celery", CELERY_BROKER_URL=broker):
                results["celery"] = measure(user, options.tasks, options.latency_runs)
                reset_backend()
        finally:
            workers.stop_all()
    print_row("celery (2 workers)", results["celery"])

    thread, celery = results["thread"], results["celery"]
    print(f"ratio celery/thread, throughput:      {celery[0] / thread[0]:.2f}")
    print(f"ratio celery/thread, median latency:  {celery[2] / thread[2]:.2f}")


def print_row(name, result):
    throughput, submitted, median, p90 = result
    print(
        f"{name:19} {throughput:6.1f} runs/s (submitted at {submitted:5.0f}/s)   "
        f"created->completed median {median:5.1f} ms, p90 {p90:5.1f} ms"
    )


if __name__ == "__main__":
    main()
