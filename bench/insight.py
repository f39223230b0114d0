"""The script page (`/scripts/<key>/`, each window) and `GET /metrics` on a large history, p95.

    .venv/bin/python bench/insight.py [--tasks 1000000] [--requests 20] [--database-url URL]

Runs are spread evenly over 180 days across 5 scripts, so the 90-day window of one script
holds about a tenth of the history. The history is filled through executemany (`fill`),
then the figures the page and the metrics read (tasks/models/figures.py) are rebuilt from
it; both times are printed. Requests go through the whole Django stack in-process (a staff
session; the metrics with the bearer token), and the page's queries (`script_trends`) and
the scrape's (`exposition`) are timed apart from the rendering. Each figure is printed with
the ratio against the same on a history of 1,000 runs measured in the same run (the
baseline: what a nearly empty history costs). Target: under 100 ms at 1,000,000 runs."""

import argparse
import random
import statistics
import time
import uuid
from datetime import timedelta

from common import percentile, setup

SCRIPTS = ["trivial", "million_lines", "heavy", "million_lines_buffered", "ticker"]
SPAN = timedelta(days=180)
EXCEPTIONS = ["ValueError: bad row 17", "KeyError: 'id'", "TimeoutError: upstream", ""]


# The columns each run varies in; every other column takes its field's default.
VARYING = (
    "id",
    "script",
    "user",
    "status",
    "created_at",
    "started_at",
    "completed_at",
    "duration",
    "return_code",
    "exception",
    "peak_memory_kb",
    "log_bytes",
)


def fill(count, user, start=0, total=None):
    """`count` finished runs through one INSERT per 5,000 (executemany with prepared
    values): a history as the engine leaves it, 10x faster than bulk_create. The figures
    are then rebuilt from it (`rebuild_insight`'s code), timed apart."""
    from django.db import connection, transaction
    from django.utils import timezone

    from tasks.models import Status, Task

    total = total or count
    generator = random.Random(start)
    statuses = [Status.SUCCESS] * 6 + [Status.FAILED] * 2 + [Status.CANCELLED]
    now = timezone.now()
    step = SPAN / total
    fields = list(Task._meta.concrete_fields)
    constant = {
        field.name: field.get_db_prep_save(
            {
                "script_path": "x.py",
                "interpreter": "/usr/bin/python3",
                "timeout": 600,
                "user_name": user.username,
                "end_reason": "exit",
            }.get(field.name, field.get_default()),
            connection,
        )
        for field in fields
        if field.name not in VARYING
    }
    by_name = {field.name: field for field in fields}
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(Task._meta.db_table)} "  # noqa: S608 - names only
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )

    def prep(name, value):
        return by_name[name].get_db_prep_save(value, connection)

    batch = []
    with connection.cursor() as cursor:
        for number in range(start, start + count):
            created = now - step * number
            status = generator.choice(statuses)
            ran = timedelta(seconds=generator.randrange(1, 600))
            failed = status == Status.FAILED
            varying = {
                "id": prep("id", uuid.UUID(int=generator.getrandbits(128))),
                "script": generator.choice(SCRIPTS),
                "user": user.pk,
                "status": status,
                "created_at": prep("created_at", created),
                "started_at": prep("started_at", created),
                "completed_at": prep("completed_at", created + ran),
                "duration": prep("duration", ran),
                "return_code": 1 if failed else 0,
                "exception": generator.choice(EXCEPTIONS) if failed else "",
                "peak_memory_kb": generator.randrange(10_000, 500_000),
                "log_bytes": generator.randrange(100, 100_000),
            }
            batch.append([varying.get(field.name, constant.get(field.name)) for field in fields])
            if len(batch) == 5000:
                with transaction.atomic():
                    cursor.executemany(sql, batch)
                batch = []
        with transaction.atomic():
            cursor.executemany(sql, batch)


def rebuild_figures():
    from tasks.models import ScriptException, ScriptHour, ScriptTotal, Task
    from tasks.models.figures import rebuild

    return rebuild(Task, ScriptHour, ScriptTotal, ScriptException)


def urls():
    pages = {f"script page {window}": f"/scripts/heavy/?window={window}" for window in WINDOWS}
    return {**pages, "/metrics": "/metrics"}


WINDOWS = ("24h", "7d", "30d", "90d")


def measure(client, requests, token):
    """{name: (p50, p95)} of whole requests, and of the page's queries alone
    (`script_trends`, which also sums the rows it reads) and the scrape's (`exposition`):
    the rest of a request is rendering the template, which the history's size does not
    change."""
    from django.contrib.auth.models import User

    from tasks.insight.metrics import exposition
    from tasks.insight.trends import script_trends

    staff = User.objects.get(username="staff")
    calls = {
        **{
            f"  queries {window}": lambda w=window: script_trends(staff, "heavy", w)
            for window in WINDOWS
        },
        "  queries /metrics": exposition,
    }
    results = {}
    for name, url in urls().items():
        headers = {"Authorization": f"Bearer {token}"} if url == "/metrics" else {}
        client.get(url, headers=headers)  # warm: the first request of a URL loads templates
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        results[name] = (statistics.median(timings), percentile(timings, 0.95))
    for name, call in calls.items():
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            call()
            timings.append(time.perf_counter() - started)
        results[name] = (statistics.median(timings), percentile(timings, 0.95))
    return results


def names():
    return [*urls(), *(f"  queries {window}" for window in WINDOWS), "  queries /metrics"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="default: a throwaway SQLite file")
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="measure the history already in --database-url (a file an earlier run left); "
        "no fill, no baseline",
    )
    options = parser.parse_args()
    token = "bench-metrics-token"
    setup(
        options.database_url,
        EXECUTOR_BACKEND="record",
        DJANGO_ALLOWED_HOSTS="testserver",
        EXECUTOR_METRICS_TOKEN=token,
    )
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    staff, _ = User.objects.get_or_create(username="staff", defaults={"is_staff": True})
    client = Client()
    client.force_login(staff)
    if options.measure_only:
        from tasks.models import Task

        found = measure(client, options.requests, token)
        print(f"history: {Task.objects.count():,} runs on {connection.vendor} (measured only)")
        for name in names():
            p50, p95 = found[name]
            print(f"{name:22s} {p50 * 1000:7.1f}ms {p95 * 1000:7.1f}ms")
        return

    from tasks.models import Task

    Task.objects.all().delete()
    fill(1000, staff)
    rebuild_figures()
    small = measure(client, options.requests, token)
    started = time.perf_counter()
    Task.objects.all().delete()
    fill(options.tasks, staff)
    filled = time.perf_counter() - started
    started = time.perf_counter()
    rebuild_figures()
    rebuilt = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    large = measure(client, options.requests, token)

    print(
        f"history: {options.tasks:,} runs on {connection.vendor} (filled in {filled:.0f} s, "
        f"figures rebuilt from it in {rebuilt:.0f} s)"
    )
    print(f"{options.requests} requests each")
    print(f"{'request':22s} {'p50':>9s} {'p95':>9s}   p95 vs 1,000 runs")
    for name in names():
        p50, p95 = large[name]
        print(f"{name:22s} {p50 * 1000:7.1f}ms {p95 * 1000:7.1f}ms   {p95 / small[name][1]:6.2f}x")


if __name__ == "__main__":
    main()
