"""`manage.py list_schedules`: every schedule, its timetable in words, and when it fires next."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from tasks.models import Schedule
from tasks.schedules import timetables


class Command(BaseCommand):
    help = "List the schedules: owner, script, timetable, next firing, last firing."

    def handle(self, *args, **options):
        schedules = Schedule.objects.select_related("owner").order_by("name", "pk")
        if not schedules:
            self.stdout.write("No schedules.")
            return
        for schedule in schedules:
            last = schedule.firings.order_by("-due_at").first()
            upcoming = (
                "paused"
                if schedule.paused
                else (
                    timezone.localtime(schedule.next_fire_at).isoformat(timespec="seconds")
                    if schedule.next_fire_at
                    else "nothing due"
                )
            )
            self.stdout.write(
                f"{schedule.pk:>5}  {schedule.name}  [{schedule.script}] by "
                f"{schedule.owner.get_username()}: {timetables.describe(schedule)}; "
                f"next: {upcoming}; last: "
                + (
                    f"{last.outcome} at {last.due_at.isoformat(timespec='seconds')}"
                    if last
                    else "never"
                )
            )
