"""The daily retention pass's rows."""

from django.db import models
from django.utils import timezone


class RetentionPass(models.Model):
    """One day's automatic purge by the retention policy: runs older than
    EXECUTOR_RETENTION_DAYS, beyond EXECUTOR_RETENTION_RUNS_PER_SCRIPT of a script, or
    beyond EXECUTOR_RETENTION_MAX_BYTES in all.

    The unique day is how one process among many claims the day's pass: whoever inserts
    the row does the purge, the others see it and leave it alone.
    """

    day = models.DateField(unique=True)
    cutoff = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Finished runs created before this are purged (empty: no age limit).",
    )
    worker = models.CharField(max_length=200, help_text="host:pid of the process doing it.")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveBigIntegerField(default=0, help_text="Runs purged so far.")
    log_bytes = models.PositiveBigIntegerField(default=0, help_text="Bytes of logs purged.")

    class Meta:
        ordering = ["-day"]
        default_permissions = ("view",)
        verbose_name_plural = "retention passes"

    def __str__(self):
        return f"retention pass of {self.day}"

    def add_progress(self, *, runs: int, log_bytes: int, complete: bool) -> bool:
        """Count what a round of the pass purged, and end the pass when `complete`;
        False when the pass was already finished."""
        changed = RetentionPass.objects.filter(pk=self.pk, finished_at__isnull=True).update(
            runs=models.F("runs") + runs,
            log_bytes=models.F("log_bytes") + log_bytes,
            finished_at=timezone.now() if complete else None,
        )
        return changed == 1
