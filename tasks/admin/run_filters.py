"""The run list's filters by script and by user, whose choices come from a loose scan of
an index (tasks/history/distinct.py) rather than from reading every run."""

from django.contrib import admin

from tasks import access
from tasks.history.distinct import distinct_values

MAX_CHOICES = 200  # scripts and users offered in the filters


class UserFilter(admin.RelatedOnlyFieldListFilter):
    """By user, with the runs whose account was deleted named as such (not "-"); the
    users who have runs are found by a loose scan of the user index, not by reading
    every run (tasks/history/distinct.py)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.empty_value_display = "Deleted account"

    def field_choices(self, field, request, model_admin):
        if not access.sees_all_runs(request.user):
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        ids = distinct_values("user", MAX_CHOICES)
        return field.get_choices(
            include_blank=False, limit_choices_to={"pk__in": ids}, ordering=ordering
        )


class ScriptFilter(admin.SimpleListFilter):
    """By script: the scripts that have runs, by a loose scan of the script index."""

    title = "script"
    parameter_name = "script"

    def lookups(self, request, model_admin):
        return [(name, name) for name in distinct_values("script", MAX_CHOICES)]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset if value is None else queryset.filter(script=value)
