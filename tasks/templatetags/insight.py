"""The dashboard's glance at a script: its last status and a sparkline of recent durations."""

from django import template

from tasks.insight.script_page import sparkline

register = template.Library()


@register.inclusion_tag("insight/_glance.html")
def script_glance(glances, key):
    """`glances` is the view's {script key: Glance}; nothing is drawn for a missing key."""
    glance = glances.get(key) if glances else None
    if glance is None:
        return {"glance": None}
    chart = sparkline(glance.durations) if len(glance.durations) > 1 else None
    durations = glance.durations
    return {
        "glance": glance,
        "chart": chart,
        "shortest": min(durations, default=None),
        "longest": max(durations, default=None),
    }
