"""The catalog file in the admin, read-only, with who may run each script and how its runs went."""

from functools import reduce
from operator import or_

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q
from django.template.response import TemplateResponse
from django.urls import path, reverse

from tasks.admin.base import ViewOnlyAdmin
from tasks.catalog import get_catalog
from tasks.models import ScriptCatalog, Status, Task


@admin.register(ScriptCatalog)
class ScriptCatalogAdmin(ViewOnlyAdmin):
    """The catalog file, read-only, with who may run each script and how its runs went."""

    def get_urls(self):
        # One page; the object pages a proxy of Task would otherwise get make no sense.
        view = self.admin_site.admin_view(self.changelist_view)
        return [path("", view, name="tasks_scriptcatalog_changelist")]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        catalog = get_catalog()
        stats = script_stats()
        rows = [_catalog_row(entry.key, entry, stats.pop(entry.key, None)) for entry in catalog]
        gone = [_catalog_row(key, None, numbers) for key, numbers in sorted(stats.items())]
        context = {
            **self.admin_site.each_context(request),
            "title": "Script catalog",
            "opts": self.opts,
            "catalog": catalog,
            "rows": rows,
            "gone": gone,
            "tasks_url": reverse("admin:tasks_task_changelist"),
            "media": self.media,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/tasks/script_catalog.html", context)

    class Media:
        css = {"all": ["css/admin.css"]}


def script_stats():
    """Each script's run totals and its last run: one aggregate query, then one query
    for the last runs (whatever the number of scripts)."""
    totals = (
        Task.objects.order_by()
        .values_list("script")
        .annotate(
            runs=Count("pk"),
            succeeded=Count("pk", filter=Q(status=Status.SUCCESS)),
            failed=Count("pk", filter=Q(status=Status.FAILED)),
            last_created=Max("created_at"),
        )
    )
    stats = {
        script: {"runs": runs, "succeeded": ok, "failed": failed, "last_created": last}
        for script, runs, ok, failed, last in totals
    }
    if stats:
        latest = reduce(
            or_,
            (Q(script=key, created_at=row["last_created"]) for key, row in stats.items()),
        )
        for task in Task.objects.filter(latest).only("pk", "script", "status", "created_at"):
            stats[task.script]["last"] = task
    return stats


def _catalog_row(key, entry, numbers):
    numbers = numbers or {"runs": 0, "succeeded": 0, "failed": 0}
    ended = numbers["succeeded"] + numbers["failed"]
    return {
        "key": key,
        "entry": entry,
        "runs": numbers["runs"],
        "succeeded": numbers["succeeded"],
        "ended": ended,
        "success_rate": round(100 * numbers["succeeded"] / ended) if ended else None,
        "last": numbers.get("last"),
    }
