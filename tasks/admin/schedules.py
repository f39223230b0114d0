"""Schedules and their firings in the admin. Read-only here (changes go through the seam's
validation: the API and the pages), with pause and resume as actions."""

from django.contrib import admin, messages

from tasks.admin.base import ViewOnlyAdmin, titled
from tasks.models import Firing, Schedule
from tasks.schedules import timetables
from tasks.services import schedules


@admin.register(Schedule)
class ScheduleAdmin(ViewOnlyAdmin):
    list_display = ("name", "script", "owner", "timetable", "paused", "next_fire_at", "overlap")
    list_filter = (
        "paused",
        ("kind", titled(admin.ChoicesFieldListFilter, "timetable")),
        ("overlap", titled(admin.ChoicesFieldListFilter, "when runs overlap")),
        ("missed", titled(admin.ChoicesFieldListFilter, "missed firings")),
        "script",
    )
    search_fields = ("name", "script", "owner__username")
    actions = ("pause_selected", "resume_selected")

    @admin.display(description="timetable")
    def timetable(self, schedule):
        return timetables.describe(schedule)

    @admin.action(description="Pause the selected schedules")
    def pause_selected(self, request, queryset):
        for schedule in queryset:
            schedules.pause(request.user, schedule)
        self.message_user(request, f"Paused {queryset.count()} schedule(s).", messages.SUCCESS)

    @admin.action(description="Resume the selected schedules")
    def resume_selected(self, request, queryset):
        for schedule in queryset:
            schedules.resume(request.user, schedule)
        self.message_user(request, f"Resumed {queryset.count()} schedule(s).", messages.SUCCESS)


@admin.register(Firing)
class FiringAdmin(ViewOnlyAdmin):
    list_display = ("schedule", "due_at", "fired_at", "outcome", "reason", "task", "worker")
    list_filter = ("outcome",)
    search_fields = ("schedule__name", "reason")
    list_select_related = ("schedule", "task")
