"""A page per script: what it is, and how its runs went over a window (counts, durations,
success rate, exception lines, peak memory)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tasks import access
from tasks.catalog import get_catalog
from tasks.insight import script_page
from tasks.insight.trends import DEFAULT_WINDOW, WINDOWS, script_trends
from tasks.web.views.common import dashboard_url

# The history's search takes this many characters; an exception line is matched by its start.
SEARCH_LENGTH = 200


@require_GET
def script_detail(request, key):
    entry = get_catalog().get(key)
    user = request.user
    if entry is None or not (access.can_run(user, entry) or access.sees_all_runs(user)):
        raise Http404("No such script among those you may see.")
    window = request.GET.get("window", DEFAULT_WINDOW)
    if window not in WINDOWS:
        messages.warning(
            request,
            f"There is no window “{window}”: choose one of {', '.join(WINDOWS)}. "
            f"Showing {WINDOWS[DEFAULT_WINDOW][0]}.",
        )
        window = DEFAULT_WINDOW
    trends = script_trends(user, key, window)
    context = {
        "entry": entry,
        "trends": trends,
        "windows": [(name, label) for name, (label, _, _) in WINDOWS.items()],
        "can_run": access.can_run(user, entry),
        "run_url": dashboard_url(key),
        "runs_chart": script_page.runs_chart(trends),
        "durations_chart": script_page.durations_chart(trends),
        "memory_chart": script_page.memory_chart(trends),
        "statuses": script_page.STATUS_LABELS,
        "bucket_rows": [
            (script_page.bucket_label(trends, bucket.start), bucket) for bucket in trends.buckets
        ],
        "exceptions": [(line, count, line[:SEARCH_LENGTH]) for line, count in trends.exceptions],
    }
    return render(request, "insight/script.html", context)
