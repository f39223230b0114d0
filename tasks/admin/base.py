"""What every admin of this app shares: view-only rows, status badges, preformatted text."""

from django.contrib import admin
from django.utils.html import format_html


def status_badge(status, label):
    return format_html('<span class="task-status task-status-{}">{}</span>', status, label)


def pre(text):
    return format_html('<pre class="task-pre">{}</pre>', text)


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows written by the engine or the catalog, never by hand: look, do not touch."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def titled(filter_class, title):
    """`filter_class` (a field's list filter) under `title`: some fields' own names
    ("missed", "at") do not say what their filter picks, and a field's verbose name is
    part of its migration state."""

    class Titled(filter_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    Titled.__name__ = Titled.__qualname__ = f"Titled{filter_class.__name__}"
    return Titled
