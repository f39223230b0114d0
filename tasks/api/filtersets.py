"""The task list's query parameters, declared once with django-filter: DRF validates a
request against them and drf-spectacular writes the schema from them.

The FilterSet declares and validates; the querying stays in tasks.history.filters (the
history page reads the same parameters through it), so `filter_queryset` hands the
parameters to `filters.apply`, which also parses the dates and the search.
"""

import django_filters
from rest_framework.exceptions import ValidationError

from tasks.history import filters
from tasks.models import Status, Task, Trigger

ORDERING_CHOICES = [
    (f"{sign}{name}", f"{sign}{name}") for name in filters.ORDERINGS for sign in ("", "-")
]


class CommaChoiceFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """One or more choices, comma-separated (status=failed,cancelled)."""


def unknown(values):
    return {"invalid_choice": f"unknown value %(value)r; use one of {', '.join(values)}"}


class TaskFilterSet(django_filters.FilterSet):
    status = CommaChoiceFilter(
        choices=Status.choices, help_text="One or more, comma-separated.",
        error_messages=unknown(Status.values),
    )  # fmt: skip
    trigger = CommaChoiceFilter(
        choices=Trigger.choices, help_text="What started the run; one or more, comma-separated.",
        error_messages=unknown(Trigger.values),
    )  # fmt: skip
    script = django_filters.BaseInFilter(help_text="Script keys, comma-separated.")
    user = django_filters.BaseInFilter(help_text="User names, comma-separated.")
    created_after = django_filters.CharFilter(help_text="A date (2026-11-29) or a date and time.")
    created_before = django_filters.CharFilter(help_text="A date or a date and time.")
    q = django_filters.CharFilter(
        max_length=filters.MAX_SEARCH,
        help_text="Search in id, script, user, arguments, exception.",
    )
    ordering = django_filters.ChoiceFilter(
        choices=ORDERING_CHOICES,
        help_text="A column; a leading '-' for descending.",
        error_messages={"invalid_choice": "unknown field %(value)r"},
    )

    class Meta:
        model = Task
        fields: list[str] = []

    def is_valid(self):
        # NUL first, with the history's own message (a choice filter would call it an
        # unknown value, a text filter something else).
        try:
            filters.refuse_nul(self.data)
        except filters.FilterError as exc:
            raise ValidationError(str(exc)) from None
        return super().is_valid()

    def filter_queryset(self, queryset):
        try:
            return filters.apply(queryset, self.data)
        except filters.FilterError as exc:
            raise ValidationError(str(exc)) from None
