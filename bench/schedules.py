"""1,000 active schedules firing every minute on SQLite: firing lateness and the
scheduler's CPU share of one core.

    .venv/bin/python bench/schedules.py [--schedules 1000] [--minutes 3]

The scheduler runs as the engine runs it: the engine loop's timed rounds
(tasks.executor.housekeeping.TimedRounds, where the thread pool's dispatcher and Celery's
housekeeping call the scheduler's tick), in this process. Each firing goes through the
seam like every scheduled run (services.execute as the owner: catalog check, audit
event, the run's row, the Firing row); runs are handed to the "record" backend, which
starts nothing, so the figures are the scheduler's and not those of 1,000 scripts a
minute on two cores.

Lateness of a firing: its run row's created_at minus its due time (the tick's own
fired_at is when the tick began, earlier for the last firings of a batch). CPU: this
process's user + system time over the measured minutes' wall time.

Baseline, measured in the same run: the floor any scheduler of runs with a history has,
writing 1,000 run rows (Task.objects.create, one transaction each, like the firings) and
nothing else; the scheduler's busy time per minute is printed as a ratio to it. Targets:
p95 lateness under 1 s, CPU under 5 % of one core.
"""

import argparse
import resource
import time

from common import bench_user, percentile, setup


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_schedules(user, count):
    from tasks.services import schedules

    for number in range(count):
        schedules.create(
            user,
            {
                "name": f"every minute {number}",
                "script": "trivial",
                "kind": "cron",
                "cron": "* * * * *",
                # The record backend never ends a run: "skip while running" would
                # skip every firing after the first.
                "overlap": "parallel",
            },
        )


def baseline_rows(user, count):
    """Seconds to write `count` run rows one transaction each, then remove them."""
    from django.db import transaction

    from tasks.models import Task

    started = time.perf_counter()
    made = []
    for _ in range(count):
        with transaction.atomic():
            made.append(
                Task.objects.create(
                    script="trivial", user=user, argv=["python", "trivial.py"], timeout=60
                ).pk
            )
    elapsed = time.perf_counter() - started
    Task.objects.filter(pk__in=made).delete()
    return elapsed


def run_scheduler(until):
    """The engine loop's rounds until `until` (monotonic); returns the busy seconds."""
    from tasks.executor.housekeeping import TimedRounds

    rounds = TimedRounds()
    busy = 0.0
    while time.monotonic() < until:
        started = time.perf_counter()
        wait = rounds.run_due(1.0)
        busy += time.perf_counter() - started
        time.sleep(min(max(wait, 0.01), max(0.0, until - time.monotonic())))
    return busy


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=3)
    options = parser.parse_args()
    # Runs handed to "record" stay pending: no queue limit, or it would refuse them.
    setup(EXECUTOR_BACKEND="record", EXECUTOR_MAX_PENDING=10_000_000)
    from django.utils import timezone

    from tasks.models import Firing
    from tasks.services import schedules

    schedules.install()
    user = bench_user()
    floor = baseline_rows(user, options.schedules)
    make_schedules(user, options.schedules)
    # Measure whole minutes: from 2 s before a minute's due time to 2 s before the next.
    first_due = timezone.now().replace(second=0, microsecond=0) + timezone.timedelta(minutes=1)
    lead = (first_due - timezone.now()).total_seconds() - 2
    if lead > 0:
        time.sleep(lead)
    wall_started, cpu_started = time.monotonic(), cpu_seconds()
    busy = run_scheduler(wall_started + 60 * options.minutes)
    wall, cpu = time.monotonic() - wall_started, cpu_seconds() - cpu_started
    firings = Firing.objects.filter(due_at__gte=first_due).select_related("task")
    late = [(f.task.created_at - f.due_at).total_seconds() for f in firings if f.task]
    expected = options.schedules * options.minutes
    outcomes = {o: firings.filter(outcome=o).count() for o in ("run", "skipped", "queued")}
    print(f"{options.schedules} schedules every minute, {options.minutes} minutes, SQLite")
    print(f"firings: {len(late)} run of {expected} due ({outcomes})")
    print(
        f"lateness: p50 {percentile(late, 0.5) * 1000:.0f} ms, "
        f"p95 {percentile(late, 0.95) * 1000:.0f} ms, max {max(late) * 1000:.0f} ms "
        f"(target p95 < 1000 ms)"
    )
    print(f"CPU: {cpu / wall * 100:.2f} % of one core (target < 5 %)")
    per_minute = busy / options.minutes
    print(
        f"busy per minute: {per_minute:.2f} s; writing {options.schedules} bare run rows: "
        f"{floor:.2f} s; ratio {per_minute / floor:.2f}x"
    )


if __name__ == "__main__":
    main()
