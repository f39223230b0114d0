"""`manage.py rebuild_insight`: recompute the script pages' and /metrics' figures from the
history (tasks/models/figures.py), say after restoring a backup of the runs."""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum

from tasks.models import ScriptException, ScriptHour, ScriptTotal, Task
from tasks.models.figures import rebuild


class Command(BaseCommand):
    help = (
        "Recompute the figures of finished runs (script pages, /metrics) from the runs the "
        "history holds. Figures of runs purged since are dropped: use --since to rebuild "
        "only recent hours and keep the older figures."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            metavar="YYYY-MM-DD",
            help="rebuild only the hours from this UTC date on; older figures are kept",
        )

    def handle(self, *args, since=None, **options):
        moment = None
        if since:
            try:
                moment = datetime.fromisoformat(since)
            except ValueError:
                raise CommandError(
                    f"--since must be a date such as 2026-01-31, not {since!r}."
                ) from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
        before = ScriptTotal.objects.aggregate(runs=Sum("runs"))["runs"] or 0
        counted = rebuild(Task, ScriptHour, ScriptTotal, ScriptException, since=moment)
        after = ScriptTotal.objects.aggregate(runs=Sum("runs"))["runs"] or 0
        scope = f" since {moment.isoformat()}" if moment else ""
        self.stdout.write(f"Counted {counted:,} finished runs{scope}.")
        if after < before:
            self.stdout.write(
                f"The figures now hold {after:,} runs, {before - after:,} fewer than before: "
                "those runs had been purged."
            )
