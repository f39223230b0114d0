"""Two runs compared: `/tasks/<a>/compare/<b>/`, and the form on a run's page that picks b."""

import re

from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from tasks import access
from tasks.insight import compare
from tasks.web.views.common import visible_task

SHORT_ID = re.compile(r"[0-9a-fA-F]{8}")


@require_GET
def compare_runs(request, pk, other):
    left = visible_task(request.user, pk)
    right = visible_task(request.user, other)
    ignore_volatile = request.GET.get("ignore") == "volatile"
    ran, went = compare.facts(left, right)
    context = {
        "left": left,
        "right": right,
        "ran": ran,
        "went": went,
        "diff": compare.diff_logs(left, right, ignore_volatile=ignore_volatile),
        "ignore_volatile": ignore_volatile,
        "limits": {
            "bytes": compare.MAX_LOG_BYTES // (1024 * 1024),
            "lines": compare.MAX_LINES,
            "shown": compare.MAX_DIFF_LINES,
        },
    }
    return render(request, "insight/compare.html", context)


@require_GET
def compare_with(request, pk):
    """The run page's form: `?with=<id or its first characters>` of a run to compare."""
    task = visible_task(request.user, pk)
    wanted = request.GET.get("with", "").strip()
    other = _find(request.user, wanted, task)
    if other is None:
        messages.error(
            request,
            f"There is no run “{wanted[:40]}” among those you may see: give a run's id "
            "(or its first 8 characters).",
        )
        return redirect("task-detail", pk=task.pk)
    return redirect(reverse("task-compare", args=[task.pk, other.pk]))


@require_GET
def compare_selected(request):
    """The history's "Compare selected" form: `?run=<id>&run=<id>` (two ticked rows), to
    the two runs' comparison, the older on the left; back to the history page the form
    was on (`back`, its query) with a message otherwise."""
    back = reverse("history")
    query = QueryDict(request.GET.get("back", "")).urlencode()
    if query:
        back = f"{back}?{query}"
    wanted = list(dict.fromkeys(request.GET.getlist("run")))
    if len(wanted) != 2:
        messages.error(request, f"Tick exactly two runs to compare: {len(wanted)} were ticked.")
        return redirect(back)
    runs = [access.visible_task(request.user, pk) for pk in wanted]
    if None in runs:
        messages.error(request, "One of the ticked runs is not among those you may see.")
        return redirect(back)
    left, right = sorted(runs, key=lambda run: run.created_at)
    return redirect(reverse("task-compare", args=[left.pk, right.pk]))


def _find(user, wanted, task):
    found = access.visible_task(user, wanted)
    if found is not None or not SHORT_ID.fullmatch(wanted):
        return found
    # A short id, as the pages show it: the one visible run whose id starts so.
    runs = access.visible_tasks(user).exclude(pk=task.pk)
    matches = list(runs.filter(id__istartswith=wanted.lower())[:2])
    return matches[0] if len(matches) == 1 else None
