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


@register.inclusion_tag("insight/_compare_form.html", takes_context=True)
def compare_form(context, task):
    """On a run's page: a link to compare it with the script's run before it (among the
    runs the user may see), and a form to compare it with any run."""
    from tasks import access

    earlier = (
        access.visible_tasks(context["request"].user)
        .filter(script=task.script, created_at__lt=task.created_at)
        .order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )
    return {"task": task, "earlier": earlier}
