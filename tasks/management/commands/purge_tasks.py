import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from tasks import services
from tasks.history.policy import Policy
from tasks.models import FINISHED_STATUSES, Status

AGE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw]?)$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks", "": "days"}


def parse_age(text):
    """'30d', '12h', '2w', '90m', '45s' or a bare number of days -> timedelta."""
    match = AGE.match(text.strip().lower())
    if not match:
        raise CommandError(
            f"--older-than {text!r}: use a number with a unit, like 30d, 12h, 2w or 90m",
            returncode=2,
        )
    number, unit = match.groups()
    return timedelta(**{UNITS[unit]: float(number)})


class Command(BaseCommand):
    help = (
        "Delete finished runs and their logs: those created longer ago than --older-than, "
        "optionally only some statuses or scripts, or those the retention policy selects "
        "(--policy). Pending, running and pinned runs are never deleted. Works in short "
        "batches, so the site keeps answering while it runs."
    )
    # A cron job must not stop because an unrelated catalog entry has a problem.
    requires_system_checks = []

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--older-than",
            metavar="AGE",
            help="Runs created before this long ago: 30d, 12h, 2w, 90m (0d: all of them).",
        )
        which.add_argument(
            "--policy",
            action="store_true",
            help="What the retention policy removes now (EXECUTOR_RETENTION_DAYS, "
            "EXECUTOR_RETENTION_RUNS_PER_SCRIPT, EXECUTOR_RETENTION_MAX_BYTES).",
        )
        parser.add_argument(
            "--status",
            action="append",
            default=[],
            metavar="STATUS",
            help=f"Only runs that ended so ({', '.join(FINISHED_STATUSES)}); repeatable "
            "or comma-separated.",
        )
        parser.add_argument(
            "--script",
            action="append",
            default=[],
            metavar="NAME",
            help="Only runs of this script; repeatable or comma-separated.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would go; delete nothing."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            metavar="RUNS",
            help="Runs per delete transaction (default 500).",
        )

    def handle(self, *args, older_than, policy, status, script, dry_run, batch_size, **options):
        if policy:
            return self._by_policy(status or script, dry_run, batch_size)
        age = parse_age(older_than)
        statuses = _split(status)
        unknown = [value for value in statuses if value not in FINISHED_STATUSES]
        if unknown:
            active = ", ".join(s for s in unknown if s in (Status.PENDING, Status.RUNNING))
            hint = f"{active} runs are never purged; " if active else f"{unknown[0]!r} is unknown; "
            raise CommandError(f"--status: {hint}use {', '.join(FINISHED_STATUSES)}", returncode=2)
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1", returncode=2)
        cutoff = timezone.now() - age
        selection = {"created_before": cutoff.isoformat()}
        if statuses:
            selection["status"] = ",".join(statuses)
        scripts = _split(script)
        if scripts:
            selection["script"] = ",".join(scripts)
        batching = {"batch_runs": batch_size} if batch_size else {}
        try:
            result = services.purge(None, selection, dry_run=dry_run, **batching)
        except services.ServiceError as exc:
            raise CommandError(exc.message, returncode=2) from None
        self._report(result, cutoff, statuses, scripts)

    def _by_policy(self, filtered, dry_run, batch_size):
        if filtered:
            raise CommandError("--policy takes no --status or --script", returncode=2)
        rules = Policy.configured()
        if not rules.active:
            self.stdout.write("No retention policy is set: nothing to remove.")
            return
        batching = {"batch_runs": batch_size} if batch_size else {}
        result = services.purge(None, rules.selection(), dry_run=dry_run, **batching)
        self._report(result, None, [], [], policy=rules)

    def _report(self, result, cutoff, statuses, scripts, policy=None):
        if policy is not None:
            what = [f"selected by the retention policy ({_describe(policy)})"]
        else:
            what = [f"created before {timezone.localtime(cutoff):%Y-%m-%d %H:%M %Z}"]
        if statuses:
            what.append(f"status {' or '.join(statuses)}")
        if scripts:
            what.append(f"script {' or '.join(scripts)}")
        verb = "Would remove" if result.dry_run else "Removed"
        self.stdout.write(
            f"{verb} {_count(result.runs, 'run')} and {filesizeformat(result.log_bytes)} of "
            f"logs{_files(result)} (finished runs {', '.join(what)})."
        )
        if result.breakdown:
            width = max(len(script) for script, _ in result.breakdown)
            for (script, status), (runs, stored) in sorted(result.breakdown.items()):
                self.stdout.write(
                    f"  {script:<{width}}  {status:<9}  {runs:>7,} runs  {filesizeformat(stored)}"
                )
        if not result.dry_run and result.batches:
            self.stdout.write(
                f"{_count(result.batches, 'batch', 'batches')}; the longest write transaction took "
                f"{result.longest_transaction * 1000:.0f} ms."
            )
        if result.kept_pinned:
            self.stdout.write(f"Kept {_count(result.kept_pinned, 'pinned run')}.")
        if result.kept_active:
            verb = "is" if result.kept_active == 1 else "are"
            self.stdout.write(
                f"Kept {_count(result.kept_active, 'matching run')} that {verb} still pending "
                "or running."
            )


def _describe(policy):
    rules = []
    if policy.days:
        rules.append(f"older than {policy.days} days")
    if policy.runs_per_script:
        rules.append(f"beyond the newest {policy.runs_per_script:,} of each script")
    if policy.max_bytes:
        rules.append(f"the oldest beyond {filesizeformat(policy.max_bytes)} in all")
    return ", ".join(rules)


def _count(number, word, plural=None):
    return f"{number:,} {word if number == 1 else plural or word + 's'}"


def _split(values):
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _files(result):
    """ ", and 3.0 MB of files" when the runs had artifacts or uploads."""
    return (
        f", and {filesizeformat(result.artifact_bytes)} of files" if result.artifact_bytes else ""
    )
