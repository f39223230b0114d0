"""GET /api/tasks with 100,000 runs in the history: first page and filtered pages.

    .venv/bin/python bench/history_queries.py [--tasks 100000] [--requests 100]

Requests go through the whole Django stack in-process (test client, token auth, JSON
rendering). Each figure is also printed as a ratio against the same request on a
history of 100 runs, measured in the same run. Target: p95 under 50 ms at 100,000.
"""

import argparse
import random
import statistics
import time
from datetime import timedelta

from common import percentile, setup

QUERIES = {
    "first page": "/api/tasks",
    "status=failed": "/api/tasks?status=failed",
    "script + status": "/api/tasks?script=report&status=success",
    "user + date range": "/api/tasks?user=user7&created_after=2026-06-01&created_before=2026-09-30",
    "page 2": "/api/tasks?page=2",
    "ordering=-duration": "/api/tasks?ordering=-duration",
    "ordering=script": "/api/tasks?ordering=script",
    "ordering=-status": "/api/tasks?ordering=-status",
    "search q=report": "/api/tasks?q=report",
}


# The benchmark's target covers these; the other queries are reported for information.
TARGETED = {"first page", "status=failed", "script + status", "user + date range", "page 2"}


def fill(count, users, start=0):
    from django.utils import timezone

    from tasks.models import Status, Task

    generator = random.Random(start)
    scripts = ["sample", "report", "failing", "big_output", "progress_bar"]
    statuses = [Status.SUCCESS] * 6 + [Status.FAILED] * 2 + [Status.CANCELLED]
    now = timezone.now()
    batch = []
    for number in range(start, start + count):
        user = users[number % len(users)]
        created = now - timedelta(minutes=3 * (count - number + start))
        status = generator.choice(statuses)
        ran = timedelta(seconds=generator.randrange(1, 600))
        batch.append(
            Task(
                script=generator.choice(scripts),
                script_path="x.py",
                interpreter="/usr/bin/python3",
                argv=["/usr/bin/python3", "x.py", "--delay=1"],
                timeout=60,
                user=user,
                user_name=user.username,
                status=status,
                progress=100 if status == Status.SUCCESS else generator.randrange(100),
                created_at=created,
                started_at=created + timedelta(seconds=1),
                completed_at=created + timedelta(seconds=1) + ran,
                duration=ran,
                return_code=0 if status == Status.SUCCESS else 1,
                end_reason="exit",
                stdout_tail="some output\n" * 20,
            )
        )
        if len(batch) == 5000:
            Task.objects.bulk_create(batch)
            batch = []
    Task.objects.bulk_create(batch)


def measure(client, requests):
    results = {}
    for name, url in QUERIES.items():
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code, response.content[:200])
        results[name] = (statistics.median(timings), percentile(timings, 0.95))
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    options = parser.parse_args()
    setup(EXECUTOR_BACKEND="record", DJANGO_ALLOWED_HOSTS="testserver")
    from django.contrib.auth.models import User
    from django.test import Client
    from rest_framework.authtoken.models import Token

    users = [User.objects.create_user(f"user{n}") for n in range(20)]
    staff = User.objects.create_user("staff", is_staff=True)
    token = Token.objects.create(user=staff)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")

    fill(100, users)
    small = measure(client, options.requests)
    started = time.perf_counter()
    fill(options.tasks - 100, users, start=100)
    filled = time.perf_counter() - started
    large = measure(client, options.requests)

    print(f"history: {options.tasks:,} runs (filled in {filled:.1f} s)")
    print(f"{options.requests} requests per query")
    print(f"{'query':22s} {'p50':>8s} {'p95':>8s}   p95 vs 100 runs")
    for name in QUERIES:
        p50, p95 = large[name]
        print(f"{name:22s} {p50 * 1000:6.1f}ms {p95 * 1000:6.1f}ms   {p95 / small[name][1]:5.2f}x")
    worst = max(p95 for _, p95 in large.values())
    print(
        f"worst p95: {worst * 1000:.1f} ms (target < 50 ms for the first page and filtered pages)"
    )


if __name__ == "__main__":
    main()
