"""The history at a million runs: every filter, ordering and search, first page and 1000th.

    .venv/bin/python bench/history_queries.py --tasks 1000000 --requests 20
    .venv/bin/python bench/history_queries.py --tasks 1000000 --requests 20 \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_history

Requests go through the whole Django stack in-process (test client, token or session
auth, JSON or HTML rendering): the API's task list (50 a page, so page 1000 starts at run
49,951), the history page (25 a page) and the admin's run list. Baseline: the database's
own query for the same rows, the page's SELECT that the ORM builds, run bare through the
cursor (what a user querying the table by hand would wait for); the ratio is the
request's p95 over that query's p95, measured in the same run. Page 1000 of a search
(`q`) or a parameter filter is read by its cursor (page "c1000": a numbered page that deep
is refused, tasks/history/paging.py), the cursor made from the last run of page 999 as
following `next_cursor` would reach it; its baseline is the cursor's reads (one SELECT
per range of the ordering until the page is full, tasks/history/keyset.py).

With --database-url of a database that already holds the runs, the fill is skipped (a
SQLite file is kept with --keep); --fill-only fills and stops. Target: p95 under 50 ms
for every query.
"""

import argparse
import os
import statistics
import time
from urllib.parse import urlsplit

from common import percentile, setup
from history_fill import SCRIPTS, fill

ORDERINGS = (
    "created_at", "started_at", "completed_at", "status", "script", "user", "progress",
    "return_code", "duration",
)  # fmt: skip


def api_queries(sample_id):
    queries = {
        "first page": "",
        "status=failed": "status=failed",
        "status=running": "status=running,pending",
        "trigger=schedule": "trigger=schedule",
        "schedule=<id>": "schedule=1",
        "script=report": "script=report",
        "script + status": "script=report&status=success",
        "user=user7": "user=user7",
        "date range (30 days)": "created_after=2026-06-01&created_before=2026-06-30",
        "user + date range": "user=user7&created_after=2026-06-01&created_before=2026-06-30",
        "param.region=eu": "param.region=eu",
        "param.batch=421": "param.batch=421",
        "q=<id prefix>": f"q={sample_id[:8]}",
        "q=report (script)": "q=report",
        "q=user13 (user)": "q=user13",
        "q=batch=42 (1% of runs)": "q=batch%3D42",
        "q=user13 + status=failed": "q=user13&status=failed",
        "q=--batch=421 (arg)": "q=--batch%3D421",
        "q=bad row 4242 (exc)": "q=bad%20row%204242",
        "q=region=asia (param)": "q=region%3Dasia",
    }
    for name in ORDERINGS:
        queries[f"ordering={name}"] = f"ordering={name}"
        queries[f"ordering=-{name}"] = f"ordering=-{name}"
    return queries


def timed(call, requests):
    """p50 and p95 of `requests` calls; 3 calls when one takes over a second (a query that
    misses the target by that much needs no twenty samples to say so)."""
    started = time.perf_counter()
    call()
    if time.perf_counter() - started > 1.0:
        requests = 3
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), percentile(timings, 0.95)


def _runs(user, query):
    from django.http import QueryDict

    from tasks import access
    from tasks.history import filters

    return filters.listed(filters.apply(access.visible_tasks(user), QueryDict(query)), tails=True)


def _sql(queryset):
    """The SELECT the ORM runs for `queryset`, as (sql, params)."""
    from django.core.exceptions import EmptyResultSet
    from django.db import connection

    try:
        return queryset.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:
        return None, None  # the ORM knows there is nothing to ask (an empty id list)


def bare_sql(user, query, page, size):
    """The SELECT the ORM runs for the offset page's rows, as (sql, params)."""
    start = (page - 1) * size
    return _sql(_runs(user, query)[start : start + size])


def deep_cursor(user, query, page, size):
    """The cursor that following `next_cursor` from the first page reaches page `page`
    with (made from the last run of the page before), and the SELECTs that reading its
    page makes (tasks.history.keyset.read: one per range until the page is full); None
    for the cursor when there are fewer pages."""
    from django.http import QueryDict

    from tasks.history import filters, keyset

    runs = _runs(user, query)
    ordering = filters.ordering_value(QueryDict(query))
    before = list(runs[(page - 1) * size - 1 : (page - 1) * size])
    if not before:
        return None, []
    cursor = keyset.at(before[0], ordering, number=page)
    order = filters.ordering({"ordering": ordering})
    statements, found = [], 0
    for condition in keyset.ranges(keyset.keys(ordering), cursor.values):
        if found > size:
            break
        part = runs.filter(condition).order_by(*order)[: size + 1 - found]
        statements.append(_sql(part))
        found += len(part)
    return cursor, statements


def measure_api(client, staff, queries, requests):
    """Page 1 and page 1000 of each query; page 1000 of a search or parameter filter by
    its cursor, as the API asks (a numbered page that deep is refused)."""
    from django.db import connection
    from django.http import QueryDict

    from tasks.history import paging

    for name, query in queries.items():
        for page in (1, 1000):
            by_cursor = page > 1 and paging.searched(QueryDict(query))
            label = f"c{page}" if by_cursor else str(page)
            url = "/api/tasks?" + query + ("&" if query else "")
            if by_cursor:
                cursor, statements = deep_cursor(staff, query, page, 50)
                if cursor is None:
                    yield name, label, None, None, "fewer than 1000 pages"
                    continue
                url += f"cursor={cursor.encode()}"
            else:
                url += f"page={page}"
            response = client.get(url)
            if response.status_code == 404 and page > 1:
                yield name, label, None, None, "fewer than 1000 pages"
                continue
            assert response.status_code == 200, (url, response.content[:300])
            request = timed(lambda url=url: client.get(url), requests)
            if not by_cursor:
                statements = [bare_sql(staff, query, page, 50)]

            def run_sql(statements=statements):
                with connection.cursor() as cursor:
                    for sql, params in statements:
                        if sql is not None:
                            cursor.execute(sql, params)
                            cursor.fetchall()

            yield name, label, request, timed(run_sql, requests), ""


def chosen(named, only):
    """The entries of `named` whose name holds one of `only`'s comma-separated texts."""
    if not only:
        return named
    wanted = [text.strip() for text in only.split(",") if text.strip()]
    return {name: value for name, value in named.items() if any(w in name for w in wanted)}


def measure_pages(client, requests, sample_id, only=None):
    pages = {
        "history page": "/history/",
        "history page p1000": "/history/?page=1000",
        "history q=report": "/history/?q=report",
        "history q=<id prefix>": f"/history/?q={sample_id[:8]}",
        "history -duration p1000": "/history/?ordering=-duration&page=1000",
        "history param.region=eu": "/history/?param.region=eu",
        "admin list": "/admin/tasks/task/",
        "admin list p1000": "/admin/tasks/task/?p=1000",
        "admin -status": "/admin/tasks/task/?o=-2",
        "admin q=report": "/admin/tasks/task/?q=report",
        "admin status=failed": "/admin/tasks/task/?status__exact=failed",
    }
    results = []
    for name, url in chosen(pages, only).items():
        response = client.get(url)
        if response.status_code == 302 and "p1000" in name:
            continue  # fewer than 1000 pages: the admin sends the reader back
        assert response.status_code == 200, (url, response.status_code)
        results.append((name, timed(lambda url=url: client.get(url), requests)))
    return results


def prepare(options):
    """Django with the history filled (or found filled); returns (staff, fill seconds)."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from tasks.models import Schedule, Task

    staff = User.objects.filter(username="staff").first()
    if staff is not None and Task.objects.count() >= options.tasks:
        return staff, None
    users = [User.objects.create_user(f"user{n}") for n in range(20)]
    staff = User.objects.create_superuser("staff")
    schedules = [
        Schedule.objects.create(
            name=f"nightly {n}", script=SCRIPTS[n], owner=users[n], kind="interval",
            interval_seconds=3600, next_fire_at=timezone.now(),
        ).pk
        for n in range(3)
    ]  # fmt: skip
    started = time.perf_counter()
    fill(options.tasks, [(user.pk, user.username) for user in users], schedules)
    return staff, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", default=None, help="a SQLite file to fill (or reuse)")
    parser.add_argument("--fill-only", action="store_true")
    parser.add_argument(
        "--only", default=None,
        help="measure only the queries and pages whose name contains one of these "
        "comma-separated texts (for iterating on a few)",
    )  # fmt: skip
    options = parser.parse_args()
    url = options.database_url or (f"sqlite:///{options.keep}" if options.keep else None)
    if url and url.startswith("postgres"):
        _create_database(url)
    setup(url, EXECUTOR_BACKEND="record", DJANGO_ALLOWED_HOSTS="testserver")
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from tasks.models import Task

    staff, filled = prepare(options)
    after = "VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE"
    how = f"executemany/COPY, indexes built after, then {after}"
    if options.fill_only:
        print(f"filled {options.tasks:,} runs in {filled or 0:.1f} s ({how})")
        return
    token, _ = Token.objects.get_or_create(user=staff)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    pages = Client()
    pages.force_login(staff)
    sample_id = str(
        Task.objects.order_by("created_at")[options.tasks // 2 : options.tasks // 2 + 1].get().pk
    )

    total = Task.objects.count()
    print(f"history: {total:,} runs on {connection.vendor} {_version(connection)}")
    if filled is not None:
        print(f"filled in {filled:.1f} s ({how})")
    print(f"{options.requests} requests per query; API pages of 50 (page 1000 = runs 49,951+;")
    print("c1000: page 1000 by its cursor, baseline its reads)")
    print(f"{'API query':28s} {'page':>5s} {'p50':>8s} {'p95':>8s}  {'bare SQL p95':>12s}  ratio")
    worst = 0.0
    for name, page, request, sql, note in measure_api(
        api, staff, chosen(api_queries(sample_id), options.only), options.requests
    ):
        if request is None:
            print(f"{name:28s} {page:>5s}   {note}")
            continue
        worst = max(worst, request[1])
        print(
            f"{name:28s} {page:>5s} {request[0] * 1000:6.1f}ms {request[1] * 1000:6.1f}ms"
            f"  {sql[1] * 1000:10.1f}ms  {request[1] / max(sql[1], 1e-6):5.1f}x",
            flush=True,
        )
    print(f"{'page':28s}       {'p50':>8s} {'p95':>8s}")
    for name, (p50, p95) in measure_pages(pages, options.requests, sample_id, options.only):
        worst = max(worst, p95)
        print(f"{name:28s}       {p50 * 1000:6.1f}ms {p95 * 1000:6.1f}ms")
    print(f"worst p95: {worst * 1000:.1f} ms (target < 50 ms)")


def _version(connection):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version"
        )
        return cursor.fetchone()[0]


def _create_database(url):
    """A PostgreSQL database of the URL's name, made if it does not exist (kept after)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_DEBUG", "0")
    main()
