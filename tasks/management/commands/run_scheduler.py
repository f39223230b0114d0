"""`manage.py run_scheduler [--once]`: fire due schedules from the command line.

The engine already ticks in every process that runs it (the thread pool's dispatcher,
Celery workers' housekeeping); this command is for a deployment that turns that off
(EXECUTOR_SCHEDULER=0) or for one tick by hand. Runs go to the configured backend; with
the thread backend they run in this process, so `--once` waits for them to end.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from tasks.models import Task
from tasks.services import schedules


class Command(BaseCommand):
    help = "Fire the schedules that are due; with --once a single tick, else for ever."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One tick, then exit.")

    def handle(self, *args, once=False, **options):
        if once:
            fired = schedules.fire_due()
            for firing in fired:
                self.stdout.write(
                    f"{firing.schedule.name}: {firing.outcome} {firing.reason}".rstrip()
                )
            self.stdout.write(f"{len(fired)} firing(s).")
            self._wait_for([f.task_id for f in fired if f.task_id])
            return
        while True:
            schedules.fire_due()
            time.sleep(max(0.05, schedules.firing.seconds_until_due()))

    def _wait_for(self, task_ids):
        # The thread backend runs them in this process: leaving now would interrupt them.
        if settings.EXECUTOR_BACKEND != "thread":
            return
        while Task.objects.filter(pk__in=task_ids).active().exists():
            time.sleep(0.1)
