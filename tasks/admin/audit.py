"""The audit trail in the admin: read-only, newest first, for whoever may view it."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from tasks.admin.base import ViewOnlyAdmin, titled
from tasks.models import AuditEvent


# A trail that an admin could edit or prune is no trail: it only grows (view only).
@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnlyAdmin):
    list_display = ["at", "actor_name", "action", "script", "task_link", "summary"]
    list_filter = ["action", ("at", titled(admin.DateFieldListFilter, "time"))]
    search_fields = ["actor_name", "script", "=task_id"]
    date_hierarchy = "at"
    ordering = ["-at"]
    fields = ["at", "actor", "actor_name", "action", "task_id", "script", "details"]
    readonly_fields = fields
    list_select_related = ["actor"]

    @admin.display(description="Source, address, reason")
    def summary(self, event):
        """What a sign-in row says (tasks.services.sign_ins): where from, and why it failed."""
        parts = [str(event.details.get(key, "")) for key in ("source", "ip", "reason")]
        return " · ".join(part for part in parts if part) or "—"

    @admin.display(description="Run", ordering="task_id")
    def task_link(self, event):
        if event.task_id is None:
            return "—"
        url = reverse("task-detail", args=[event.task_id])
        return format_html('<a href="{}">{}</a>', url, str(event.task_id)[:8])
