"""The daily retention passes in the admin."""

from django.contrib import admin
from django.template.defaultfilters import filesizeformat

from tasks.admin.base import ViewOnlyAdmin
from tasks.history import policy
from tasks.models import RetentionPass


@admin.register(RetentionPass)
class RetentionPassAdmin(ViewOnlyAdmin):
    """The daily purges of old runs (EXECUTOR_RETENTION_DAYS): when, by whom, how much."""

    list_display = ("day", "cutoff", "worker", "started_at", "finished_at", "runs", "log_size")
    ordering = ("-day",)

    def changelist_view(self, request, extra_context=None):
        # What the policy would remove now, above the passes it made (a dry run).
        context = {**policy.report(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    @admin.display(description="logs purged", ordering="log_bytes")
    def log_size(self, retention_pass):
        return filesizeformat(retention_pass.log_bytes)
