"""The run history in the admin: read-only, with cancel and purge.

Cancel and purge go through services.py, like the API, so the admin obeys the same rules
(tasks/access.py) and leaves the same trail.
"""

import json
import shlex

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.admin.views.main import ChangeList
from django.contrib.contenttypes.models import ContentType
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from tasks import access, services
from tasks.admin import deep_search
from tasks.admin.base import ViewOnlyAdmin, pre, status_badge
from tasks.admin.run_filters import ScriptFilter, UserFilter
from tasks.history import filters, logs
from tasks.history.paging import CappedPaginator
from tasks.models import Task
from tasks.templatetags.executor import duration, kilobytes

BOTH_PLACES = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]
LOG_TAIL_BYTES = 16 * 1024
SUMMARY_RUNS = 20  # how many (script, status) lines a purge's history entry names


class TaskChangeList(ChangeList):
    def get_ordering(self, request, queryset):
        """A column the history sorts by is sorted as the history sorts it (its index,
        walked whole in either direction); the admin's own otherwise (by id)."""
        ordering = super().get_ordering(request, queryset)
        first = ordering[0] if ordering else None
        if isinstance(first, str) and first.lstrip("-") in filters.ORDERINGS:
            return filters.ordering({"ordering": first})
        return ordering

    def get_queryset(self, request, exclude_parameters=None):
        return filters.listed(super().get_queryset(request, exclude_parameters), request=False)


@admin.register(Task)
class TaskAdmin(ViewOnlyAdmin):
    list_display = (
        "short_id",
        "status_column",
        "script",
        "user_name",
        "created_column",
        "duration_column",
        "exit_column",
    )
    list_display_links = ("short_id",)
    list_filter = (
        "status",
        "trigger",
        ScriptFilter,
        ("user", UserFilter),
        "end_reason",
        # Ranges (today, past 7 days, this month, this year), not a date hierarchy: its
        # links are a SELECT DISTINCT of every run's day, month or year (9 s at 1M runs).
        ("created_at", admin.DateFieldListFilter),
    )
    # The search itself is tasks.history.filters' (the same as the API's `q`); these name it.
    search_fields = ("id", "user_name", "script", "argv", "exception")
    search_help_text = "Id (or its first characters), user, script, arguments or exception line."
    ordering = ("-created_at",)
    list_per_page = 50
    # Counts stop past the page shown (tasks/history/paging.py): no count of the whole
    # table per page.
    show_full_result_count = False
    actions = ("cancel_selected", "purge_selected")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "page_link",
                    "script",
                    "status_column",
                    "end_reason",
                    "return_code",
                    "exception",
                    "error",
                    "user_name",
                    "trigger",
                    "rerun_of",
                )
            },
        ),
        (
            "Parameters",
            {
                "fields": (
                    "params_text",
                    "args",
                    "env_text",
                    "argv_text",
                    "script_path",
                    "script_sha256",
                    "interpreter_version",
                    "timeout",
                    "queue",
                )
            },
        ),
        (
            "Timings",
            {
                "fields": (
                    "created_at",
                    "started_at",
                    "completed_at",
                    "duration_column",
                    "heartbeat_at",
                    "cancel_requested_at",
                    "worker",
                    "pid",
                )
            },
        ),
        ("Resource use", {"fields": ("peak_memory", "cpu_seconds", "killed_text", "log_size")}),
        ("Output", {"fields": ("progress", "progress_message", "log_tail")}),
        ("Files", {"fields": ("files", "files_note", "summary")}),
    )
    readonly_fields = [name for _, options in fieldsets for name in options["fields"]]

    class Media:
        css = {"all": ["css/admin.css"]}

    # What the admin may do with runs besides looking: cancel and purge them, through
    # the services.

    def has_delete_permission(self, request, obj=None):
        # Deleting goes through the purge action (the list's, or the page's), which
        # keeps running runs and removes logs in batches. No plain "Delete" button.
        return obj is None and admin.ModelAdmin.has_delete_permission(self, request)

    def has_cancel_permission(self, request):
        return self.has_view_permission(request)

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        # Django's own delete would take running runs and load every log chunk.
        actions.pop("delete_selected", None)
        return actions

    def get_queryset(self, request):
        return access.visible_tasks(request.user, super().get_queryset(request))

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return CappedPaginator(
            queryset, per_page, orphans, allow_empty_first_page, asked=request.GET.get("p")
        )

    def get_changelist(self, request, **kwargs):
        return TaskChangeList

    def changelist_view(self, request, extra_context=None):
        return deep_search.refused(self, request) or super().changelist_view(request, extra_context)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        try:
            return filters.apply(queryset, {"q": search_term}), False
        except filters.FilterError as exc:
            self.message_user(request, str(exc), messages.WARNING)
            return queryset.none(), False

    # Columns and fields.

    def action_checkbox(self, task):
        """Django's own checkbox, written out: its form widget renders a template per
        row, a fifth of the run list's time at 50 rows."""
        label = format_html(_("Select this object for an action - {}"), str(task))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(task.pk),
            label,
        )

    @admin.display(description="id", ordering="id")
    def short_id(self, task):
        return task.short_id

    @admin.display(description="status", ordering="status")
    def status_column(self, task):
        return status_badge(task.status, task.get_status_display())

    # Short columns, so the list fits 1280 px beside the admin's menu and filters.
    @admin.display(description="created", ordering="created_at")
    def created_column(self, task):
        return task.created_at.strftime("%Y-%m-%d %H:%M")

    @admin.display(description="exit", ordering="return_code")
    def exit_column(self, task):
        return "—" if task.return_code is None else task.return_code

    # Said in words: the admin's boolean icons show "no" as a red cross, an alarm here.
    @admin.display(description="killed with SIGKILL")
    def killed_text(self, task):
        return "yes" if task.killed else "no"

    @admin.display(description="duration", ordering="duration")
    def duration_column(self, task):
        return duration(task.elapsed())

    @admin.display(description="task page")
    def page_link(self, task):
        url = reverse("task-detail", args=[task.pk])
        return format_html('<a href="{}">{}</a>', url, "Open the run's page on the dashboard")

    @admin.display(description="parameters")
    def params_text(self, task):
        return pre(json.dumps(task.params, indent=2, ensure_ascii=False, sort_keys=True))

    @admin.display(description="environment parameters")
    def env_text(self, task):
        return pre("\n".join(f"{key}={value}" for key, value in task.env.items()) or "—")

    @admin.display(description="command line")
    def argv_text(self, task):
        return pre(shlex.join(task.argv))

    @admin.display(description="peak memory")
    def peak_memory(self, task):
        return kilobytes(task.peak_memory_kb)

    @admin.display(description="log size")
    def log_size(self, task):
        size = filesizeformat(task.log_bytes)
        if task.log_dropped_bytes:
            dropped = filesizeformat(task.log_dropped_bytes)
            return f"{size} written, {dropped} of it dropped from the middle by the log cap"
        return size

    @admin.display(description="end of the log")
    def log_tail(self, task):
        start = max(0, task.log_bytes - LOG_TAIL_BYTES)
        text = logs.read(task.pk, start, LOG_TAIL_BYTES).text
        if start:
            text = f"[… the first {start:,} bytes are on the run's page …]\n{text}"
        return pre(text or "(no output)")

    @admin.display(description="files")
    def files(self, task):
        """The run's artifacts and uploads, each a download from the site."""
        items = list(task.artifacts.all())
        if not items:
            return "—"
        rows = format_html_join(
            "",
            '<li><a href="{}" download>{}</a> ({}, {}, {})</li>',
            (
                (
                    reverse("task-artifact", args=[task.pk, item.pk]),
                    item.name,
                    item.get_kind_display().lower(),
                    filesizeformat(item.size),
                    item.media_type,
                )
                for item in items
            ),
        )
        return format_html("<ul>{}</ul>", rows)

    # Actions.

    @admin.action(
        description="Cancel the selected %(verbose_name_plural)s",
        permissions=["cancel"],
        location=BOTH_PLACES,
    )
    def cancel_selected(self, request, queryset):
        cancelled, refused = 0, {}
        ended = queryset.finished().count()
        for task in queryset.active():
            try:
                services.cancel(request.user, task)
            except services.ServiceError as exc:
                refused[exc.message] = refused.get(exc.message, 0) + 1
            else:
                cancelled += 1
                self.log_change(request, task, "Cancelled from the admin.")
        if cancelled:
            self.message_user(request, f"Cancelling {_runs(cancelled)}.", messages.SUCCESS)
        for message, number in refused.items():
            self.message_user(request, f"{_runs(number)} not cancelled: {message}", messages.ERROR)
        if ended:
            self.message_user(
                request,
                f"{_runs(ended)} had already ended; there was nothing to cancel.",
                messages.WARNING,
            )

    @admin.action(
        description="Purge the selected %(verbose_name_plural)s with their logs",
        permissions=["delete"],
        location=BOTH_PLACES,
    )
    def purge_selected(self, request, queryset):
        confirmed = request.POST.get("confirm") == "yes"
        try:
            result = services.purge(request.user, queryset, dry_run=not confirmed)
        except services.ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        if not confirmed:
            return self._purge_confirmation(request, result)
        if result.runs:
            self._log_purge(request, result)
            self.message_user(
                request,
                f"Purged {_runs(result.runs)} and {filesizeformat(result.log_bytes)} of logs"
                + (
                    f" and {filesizeformat(result.artifact_bytes)} of files"
                    * bool(result.artifact_bytes)
                )
                + ".",
                messages.SUCCESS,
            )
        if result.kept_active:
            them = "it" if result.kept_active == 1 else "them"
            self.message_user(
                request,
                f"Kept {_runs(result.kept_active)} still pending or running; cancel {them} "
                f"first to purge {them}.",
                messages.WARNING,
            )
        if request.resolver_match.url_name.endswith("_change"):
            # From a run's own page: that page is gone now, or shows a kept run.
            return HttpResponseRedirect(reverse("admin:tasks_task_changelist"))
        return None

    def _purge_confirmation(self, request, preview):
        # The confirmation posts back exactly what the action was posted with (the
        # selection, "select all", the action's form prefix) plus confirm=yes.
        hidden = [
            (name, value)
            for name, values in request.POST.lists()
            if name not in ("csrfmiddlewaretoken", "confirm")
            for value in values
        ]
        breakdown = sorted(
            (script, status, runs, stored)
            for (script, status), (runs, stored) in preview.breakdown.items()
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Purge runs",
            "opts": self.opts,
            "preview": preview,
            "breakdown": breakdown,
            "hidden": hidden,
            "back_url": request.get_full_path(),
            "media": self.media,
        }
        return TemplateResponse(request, "admin/tasks/task/purge_confirmation.html", context)

    def _log_purge(self, request, result):
        parts = [
            f"{runs} {script} ({status})"
            for (script, status), (runs, _) in sorted(result.breakdown.items())
        ]
        if len(parts) > SUMMARY_RUNS:
            parts = [*parts[:SUMMARY_RUNS], f"and {len(parts) - SUMMARY_RUNS} more"]
        summary = f"{_runs(result.runs)}, {filesizeformat(result.log_bytes)} of logs"
        # One entry per purge, not one per run: a purge may remove thousands.
        LogEntry.objects.create(
            user=request.user,
            content_type=ContentType.objects.get_for_model(Task),
            object_repr=summary[:200],
            action_flag=DELETION,
            change_message=f"Purged {summary}: {', '.join(parts)}.",
        )


def _runs(number):
    return f"{number:,} run" + ("" if number == 1 else "s")
