"""The history's searches, this checkout against the search of an earlier revision,
request by request in turn (the baseline measured interleaved, under the same load).

    .venv/bin/python bench/history_search_ab.py --keep /tmp/hist-1m.sqlite3 --base 93e753b
    .venv/bin/python bench/history_search_ab.py --base 93e753b \\
        --database-url postgres://postgres@127.0.0.1:5432/h_history_bench

Runs against a history bench/history_queries.py filled (--fill-only). The earlier
revision's tasks/history/search.py and search_count.py are loaded from git beside this
checkout's and swapped in for every other request: the same Django, the same process,
the same rows, only the search differs. Prints p50 and p95 of each side and the ratio
of the p50s (this checkout over the base); with --inside, the search's own steps
(filters, page, capped count) without the request around them. Last, a page of 50 runs
serialized by the API's list serializer against DRF's own representation of the same
fields, in turn.
"""

import argparse
import statistics
import subprocess
import sys
import time
import types

from common import ROOT, percentile, setup

QUERIES = {
    "first page": "",
    "q=user13": "q=user13",
    "q=user13 c1000": "q=user13",
    "q=user13&status=failed": "q=user13&status=failed",
    "q=batch=42": "q=batch%3D42",
    "q=--batch=421": "q=--batch%3D421",
    "param.batch=421": "param.batch=421",
    "param.region=eu": "param.region=eu",
    "param.region=eu c1000": "param.region=eu",
    "q=report": "q=report",
    "q=region=asia": "q=region%3Dasia",
    "q=bad row 4242": "q=bad%20row%204242",
}
MODULES = ("search", "search_count")


def base_modules(revision):
    """The base revision's search modules, loaded under their own names (each one's
    imports of the other point at the base's)."""
    loaded = {}
    for name in MODULES:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{revision}:tasks/history/{name}.py"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        source = source.replace(
            "from tasks.history.search import", "from tasks.history.base_search import"
        )
        module = types.ModuleType(f"tasks.history.base_{name}")
        sys.modules[module.__name__] = module
        exec(compile(source, f"{revision}:{name}.py", "exec"), module.__dict__)  # noqa: S102
        loaded[name] = module
    return loaded


def use(modules):
    """Make the history's filters and pages call `modules` (name -> module)."""
    from tasks.history import filters, paging

    filters.search_index = modules["search"]
    paging.search_count = modules["search_count"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="the git revision to compare with")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", default=None, help="the SQLite file of the history")
    parser.add_argument("--requests", type=int, default=20, help="per side and query")
    parser.add_argument(
        "--inside", action="store_true",
        help="time the search's own steps (filters, page, capped count) instead of requests",
    )  # fmt: skip
    options = parser.parse_args()
    url = options.database_url or f"sqlite:///{options.keep}"
    setup(url, EXECUTOR_BACKEND="record", DJANGO_ALLOWED_HOSTS="testserver")
    from django.contrib.auth.models import User
    from django.test import Client
    from history_queries import deep_cursor
    from rest_framework.authtoken.models import Token

    from tasks.history import search, search_count

    staff = User.objects.get(username="staff")
    token, _ = Token.objects.get_or_create(user=staff)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    sides = {
        "base": base_modules(options.base),
        "this": {"search": search, "search_count": search_count},
    }
    if options.inside:
        inside(sides, options.requests)
        return
    print(f"history search: this checkout against {options.base}, {options.requests} requests")
    print(f"a side, in turn; {url.split('://')[0]}")
    print(f"{'query':24s} {'base p50':>9s} {'p95':>8s} {'this p50':>9s} {'p95':>8s}  this/base")
    for name, query in QUERIES.items():
        path = "/api/tasks?" + query
        if name.endswith("c1000"):
            use(sides["this"])
            cursor, _ = deep_cursor(staff, query, 1000, 50)
            path += f"&cursor={cursor.encode()}"
        timings = {side: [] for side in sides}
        for side in sides:  # a first call each, unmeasured
            use(sides[side])
            assert api.get(path).status_code == 200, path
        for _ in range(options.requests):
            for side, modules in sides.items():
                use(modules)
                started = time.perf_counter()
                api.get(path)
                timings[side].append(time.perf_counter() - started)
        figures = {
            side: (statistics.median(values) * 1000, percentile(values, 0.95) * 1000)
            for side, values in timings.items()
        }
        (b50, b95), (t50, t95) = figures["base"], figures["this"]
        print(
            f"{name:24s} {b50:7.1f}ms {b95:6.1f}ms {t50:7.1f}ms {t95:6.1f}ms  {t50 / b50:8.2f}x",
            flush=True,
        )
    use(sides["this"])
    serializing(options.requests)


def inside(sides, rounds):
    """The search's steps without the request around them, the sides in turn: the
    filters (the SQLite probe of the index is made there), the first page's 51 runs and
    the capped count."""
    from django.http import QueryDict

    from tasks.history import filters
    from tasks.models import Task

    print(f"history search steps, {rounds} rounds a side in turn (p50, ms)")
    print(f"{'query':24s} {'base: filters':>14s} {'page':>6s} {'count':>6s}   "
          f"{'this: filters':>14s} {'page':>6s} {'count':>6s}")  # fmt: skip
    for name, query in QUERIES.items():
        if not query or name.endswith("c1000"):
            continue
        steps = {side: ([], [], []) for side in sides}
        for _ in range(rounds):
            for side, modules in sides.items():
                use(modules)
                started = time.perf_counter()
                runs = filters.listed(filters.apply(Task.objects.all(), QueryDict(query)))
                filtered = time.perf_counter()
                list(runs[:51])
                paged = time.perf_counter()
                modules["search_count"].capped_count(runs, 1_001)
                counted = time.perf_counter()
                for values, value in zip(
                    steps[side],
                    (filtered - started, paged - filtered, counted - paged),
                    strict=True,
                ):
                    values.append(value)
        cells = [
            f"{statistics.median(values) * 1000:{width}.1f}"
            for side in sides
            for values, width in zip(steps[side], (14, 6, 6), strict=True)
        ]
        print(f"{name:24s} {' '.join(cells[:3])}   {' '.join(cells[3:])}", flush=True)
    use(sides["this"])


def serializing(requests):
    """A page of 50 runs serialized by the API's list serializer, against the same
    serializer with DRF's own Serializer.to_representation, in turn."""
    from rest_framework import serializers

    from tasks.api.serializers import TaskListSerializer
    from tasks.history import filters
    from tasks.models import Task

    rows = list(filters.listed(Task.objects.order_by("-created_at"), tails=True)[:50])
    ours = TaskListSerializer.to_representation
    timings = {"drf": [], "this": []}
    for _ in range(requests * 2):
        for side, method in (("drf", serializers.Serializer.to_representation), ("this", ours)):
            TaskListSerializer.to_representation = method
            started = time.perf_counter()
            TaskListSerializer(rows, many=True).data  # noqa: B018
            timings[side].append(time.perf_counter() - started)
    TaskListSerializer.to_representation = ours
    drf, this = (statistics.median(timings[side]) * 1000 for side in ("drf", "this"))
    print(f"{'serializing 50 runs':24s} {drf:7.2f}ms (DRF's)   {this:7.2f}ms  {this / drf:8.2f}x")


if __name__ == "__main__":
    main()
